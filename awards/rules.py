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


# Which fields each kind of eligibility rule takes (``awards.eligibility``).
RULE_FIELDS = {
    "score": {"review_rounds", "min_score", "grades"},
    "satisfaction": {"min_percent"},
    "rectification": set(),
    "pledges": {"min_percent"},
    "full_member": set(),
    "not_awarded": {"rounds_back"},
}
RULE_FIELD_NAMES = ("review_rounds", "min_score", "grades", "min_percent", "rounds_back")


def split_grades(text: str) -> list[str]:
    for sep in (",", "，", ";", "；", " "):
        text = text.replace(sep, "、")
    return [g.strip() for g in text.split("、") if g.strip()]


def eligibility_problems(rule: Any, review_rounds: Any) -> dict[str, list[str]]:
    """A rule's fields fit its kind: the fields the kind reads are filled, the
    others empty; 仅限正式党员 only for member categories; the review rounds of
    the category's campaign reviewing the same kind of subject. ``review_rounds``
    is the chosen rounds (the admin form's); None skips what needs them (a
    model's ``clean()`` runs before its many-to-many is saved)."""
    problems: dict[str, list[str]] = {}
    kind = rule.kind
    if kind not in RULE_FIELDS:
        return problems
    wanted = RULE_FIELDS[kind]
    check_rounds = review_rounds is not None
    review_rounds = list(review_rounds or [])
    label = rule._meta.get_field("kind").choices
    kind_name = dict(label)[kind]
    values = {
        "review_rounds": review_rounds,
        "min_score": rule.min_score,
        "grades": (rule.grades or "").strip(),
        "min_percent": rule.min_percent,
        "rounds_back": rule.rounds_back,
    }
    for name in RULE_FIELD_NAMES:
        if name not in wanted and values[name] not in (None, "", []):
            verbose = rule._meta.get_field(name).verbose_name
            problems.setdefault(name, []).append(
                _("“%(field)s”不适用于“%(kind)s”条件，请留空")
                % {"field": verbose, "kind": kind_name}
            )
    category = rule.category if rule.category_id else None
    if kind == "score":
        if check_rounds and not review_rounds:
            problems.setdefault("review_rounds", []).append(
                _("“评议得分或等次”条件须选择至少一个评议轮次")
            )
        if values["min_score"] is None and not values["grades"]:
            problems.setdefault("min_score", []).append(
                _("“评议得分或等次”条件须填写综合得分下限或等次")
            )
        if values["min_score"] is not None and not (0 <= values["min_score"] <= 100):
            problems.setdefault("min_score", []).append(_("综合得分下限应在 0 至 100 之间"))
        if category is not None:
            subject = "organization" if category.subject == "organization" else "member"
            for review_round in review_rounds:
                if review_round.campaign_id != category.round.campaign_id:
                    problems.setdefault("review_rounds", []).append(
                        _("评议轮次“%(round)s”不属于本活动") % {"round": review_round}
                    )
                elif review_round.kind.subject != subject:
                    problems.setdefault("review_rounds", []).append(
                        _("评议轮次“%(round)s”的评议对象与表彰对象不一致") % {"round": review_round}
                    )
    if kind == "satisfaction" and values["min_percent"] is None:
        problems.setdefault("min_percent", []).append(_("“群众满意率”条件须填写满意率下限（%）"))
    percent = values["min_percent"]
    if kind in ("satisfaction", "pledges") and percent is not None and not (0 <= percent <= 100):
        problems.setdefault("min_percent", []).append(_("百分比应在 0 至 100 之间"))
    if kind == "not_awarded" and not values["rounds_back"]:
        problems.setdefault("rounds_back", []).append(
            _("“近几次未获同一称号”条件须填写近几次评选（至少 1）")
        )
    if kind == "full_member" and category is not None and category.subject == "organization":
        problems.setdefault("kind", []).append(_("“仅限正式党员”只适用于表彰党员的项目"))
    return problems
