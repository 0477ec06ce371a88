"""The configuration rules of award rounds and categories: each returns Chinese
messages keyed by the field they are about and never writes. ``clean()`` and
the admin call them (the ``campaign.rules`` idiom)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def raise_problems(problems: dict[str, list[str]]) -> None:
    if problems:
        raise ValidationError(problems)


def round_problems(round_: Any) -> dict[str, list[str]]:
    """Deadlines in order (推荐 ≤ 审核 ≤ 复审, within the campaign), the milestone
    an award milestone of the same campaign."""
    problems: dict[str, list[str]] = {}
    nominate, endorse, review = (
        round_.nomination_deadline,
        round_.endorsement_deadline,
        round_.review_deadline,
    )
    if nominate and endorse and endorse < nominate:
        problems.setdefault("endorsement_deadline", []).append(
            _("审核截止日期不能早于推荐截止日期")
        )
    if endorse and review and review < endorse:
        problems.setdefault("review_deadline", []).append(_("复审截止日期不能早于审核截止日期"))
    campaign = getattr(round_, "campaign", None) if round_.campaign_id else None
    if (
        campaign is not None
        and nominate
        and not (campaign.start_date <= nominate <= campaign.end_date)
    ):
        problems.setdefault("nomination_deadline", []).append(
            _("推荐截止日期应在活动期间（%(start)s 至 %(end)s）")
            % {"start": campaign.start_date, "end": campaign.end_date}
        )
    milestone = round_.milestone if round_.milestone_id else None
    if milestone is not None:
        if milestone.campaign_id != round_.campaign_id:
            problems.setdefault("milestone", []).append(_("表彰节点必须是本活动的时间节点"))
        elif milestone.kind != "award":
            problems.setdefault("milestone", []).append(_("表彰节点必须是“表彰”类型的时间节点"))
    return problems


def category_problems(category: Any) -> dict[str, list[str]]:
    """The minimum per child times the campaign root's children fits the total;
    a total below what was already handed down is refused."""
    from orgs.models import Organization

    problems: dict[str, list[str]] = {}
    total = category.total_quota
    if total is None or not category.round_id:
        return problems
    root_id = category.round.campaign.organization_id
    children = Organization.objects.filter(parent_id=root_id, is_active=True).count()
    minimum = category.minimum_per_child or 0
    if minimum * children > total:
        problems.setdefault("minimum_per_child", []).append(
            _(
                "每个下级至少 %(minimum)s 个名额，%(children)s 个下级共需 %(need)s 个，超过名额总数 %(total)s"
            )
            % {"minimum": minimum, "children": children, "need": minimum * children, "total": total}
        )
    if category.pk:
        handed = category.quotas.filter(organization__parent_id=root_id)
        if handed.exists():
            given = sum(handed.values_list("amount", flat=True))
            if given != total:
                problems.setdefault("total_quota", []).append(
                    _(
                        "名额已分配到下级（合计 %(given)s），名额总数不能改为 %(total)s；请先在名额页调整"
                    )
                    % {"given": given, "total": total}
                )
    return problems
