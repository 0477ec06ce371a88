"""The campaign configuration rules: what a campaign, its phases, rubrics and contact
points must satisfy.

The rule functions return lists of Chinese messages (empty when all is well) and
never write. The models' ``clean()``, the admin's inline formsets and the seed
loader (``campaign.services.campaign_load``) all call them, so a rule lives in
exactly one place:

- ``campaign_problems``: the campaign's own fields (root organisation, dates, and
  the two kinds of rubric once it leaves 筹备).
- ``phase_problems`` / ``phases_problems`` / ``validate_phases``: one phase, the
  phases together, both.
- ``validate_rubric``: a rubric's criteria against its total weight.
- ``contact_point_problems``: a contact point inside the campaign's tree.
- ``milestone_problems``: a milestone within the campaign's dates (a review or
  award moment outside them could not hold its round).
- ``campaign_configuration_problems``: all of the above over what is saved.

``campaign.models`` imports this module, so it reads the models' choices from
``campaign.choices`` and names the models only for the type checker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from campaign.choices import CampaignStatus, RubricSubject
from orgs.models import Organization

if TYPE_CHECKING:
    from campaign.models import Campaign, ContactPoint, Criterion, Milestone, Phase, Rubric


class Problem(str):
    """A Chinese message, plus the field it is about (None: the object as a whole).

    A plain ``str`` everywhere (formsets, command output, tests); models use
    ``field`` to attach it, which also spares the user Django's generic message
    for the database check constraint on the same field.
    """

    field: str | None

    def __new__(cls, message: str, field: str | None = None) -> Problem:
        problem = super().__new__(cls, message)
        problem.field = field
        return problem


def raise_problems(problems: Iterable[str]) -> None:
    """Raise the problems as one ValidationError, each on its field where it has one."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(getattr(problem, "field", None) or NON_FIELD_ERRORS, []).append(problem)
    if errors:
        raise ValidationError(errors)


def date_text(day: dt.date) -> str:
    """A date as the messages write it, in the reader's language: 2010年5月1日, May 1, 2010."""
    return formats.date_format(day, "DATE_FORMAT")


def _span(start: dt.date | None, end: dt.date | None) -> str:
    return _("%(start)s至%(end)s") % {
        "start": date_text(start) if start else "?",
        "end": date_text(end) if end else "?",
    }


def campaign_problems(campaign: Campaign) -> list[Problem]:
    """The campaign's own fields: a root organisation, end not before start, and
    (once it leaves 筹备) at least one rubric for organisations and one for members."""
    problems: list[Problem] = []
    organization = campaign.organization if campaign.organization_id else None
    if organization is not None and organization.parent_id is not None:
        problems.append(
            Problem(
                _(
                    "“%(name)s”不是根党组织（它的上级是“%(parent)s”）；"
                    "活动只能建在没有上级组织的党组织（如区委）上"
                )
                % {"name": organization.name, "parent": organization.parent.name},
                "organization",
            )
        )
    if campaign.start_date and campaign.end_date and campaign.end_date < campaign.start_date:
        problems.append(
            Problem(
                _("活动的结束日期（%(end)s）早于开始日期（%(start)s）")
                % {"end": date_text(campaign.end_date), "start": date_text(campaign.start_date)},
                "end_date",
            )
        )
    if campaign.status != CampaignStatus.DRAFT:
        label = CampaignStatus(campaign.status).label
        if campaign.pk is None:
            problems.append(
                Problem(
                    _("新建的活动请先设为“筹备”，配置好党组织和党员的评价标准后再改为“%(status)s”")
                    % {"status": label},
                    "status",
                )
            )
        else:
            have = set(campaign.rubrics.values_list("subject", flat=True))
            missing = [s.label for s in RubricSubject if s.value not in have]
            if missing:
                problems.append(
                    Problem(
                        _("活动设为“%(status)s”之前，须先配置%(subjects)s的评价标准")
                        % {"status": label, "subjects": _("和").join(str(m) for m in missing)},
                        "status",
                    )
                )
    return problems


def phase_problems(campaign: Campaign | None, phase: Phase) -> list[Problem]:
    """What one phase can get wrong on its own: end before start, outside the campaign."""
    problems: list[Problem] = []
    start, end = phase.start_date, phase.end_date
    if start and end and end < start:
        problems.append(
            Problem(
                _("阶段“%(phase)s”的结束日期（%(end)s）早于开始日期（%(start)s）")
                % {"phase": phase.name, "end": date_text(end), "start": date_text(start)},
                "end_date",
            )
        )
    first, last = (campaign.start_date, campaign.end_date) if campaign else (None, None)
    if first and last and start and end and (start < first or end > last):
        problems.append(
            Problem(
                _("阶段“%(phase)s”（%(span)s）超出了活动的起止日期（%(campaign)s）")
                % {"phase": phase.name, "span": _span(start, end), "campaign": _span(first, last)}
            )
        )
    return problems


def phases_problems(phases: Sequence[Phase]) -> list[Problem]:
    """What phases get wrong together: a repeated position, dates out of order, overlaps."""
    problems: list[Problem] = []
    dated = [p for p in phases if p.start_date and p.end_date and p.position is not None]
    by_position = sorted(dated, key=lambda p: p.position)
    for earlier, later in zip(by_position, by_position[1:], strict=False):
        if earlier.position == later.position:
            problems.append(
                Problem(
                    _("阶段“%(one)s”和“%(other)s”的顺序号都是 %(n)s，顺序号不能重复")
                    % {"one": earlier.name, "other": later.name, "n": later.position}
                )
            )
        elif later.start_date < earlier.start_date:
            problems.append(
                Problem(
                    _(
                        "阶段顺序不对：第 %(n)s 个阶段“%(phase)s”（%(start)s开始）早于排在它前面的"
                        "第 %(m)s 个阶段“%(earlier)s”（%(earlier_start)s开始）"
                    )
                    % {
                        "n": later.position,
                        "phase": later.name,
                        "start": date_text(later.start_date),
                        "m": earlier.position,
                        "earlier": earlier.name,
                        "earlier_start": date_text(earlier.start_date),
                    }
                )
            )
    for i, one in enumerate(by_position):
        for other in by_position[i + 1 :]:
            if one.start_date <= other.end_date and other.start_date <= one.end_date:
                # The later phase (by position) moves: it may start the day after
                # the last day of every phase before it that it overlaps.
                free = max(
                    p.end_date for p in by_position[: i + 1] if p.end_date >= other.start_date
                ) + dt.timedelta(days=1)
                problems.append(
                    Problem(
                        _(
                            "阶段“%(one)s”（%(one_span)s）与阶段“%(other)s”（%(other_span)s）"
                            "日期重叠：结束日期当天也属于该阶段；“%(other)s”最早可从%(free)s开始"
                        )
                        % {
                            "one": one.name,
                            "one_span": _span(one.start_date, one.end_date),
                            "other": other.name,
                            "other_span": _span(other.start_date, other.end_date),
                            "free": date_text(free),
                        }
                    )
                )
    return problems


def validate_phases(campaign: Campaign | None, phases: Sequence[Phase]) -> list[Problem]:
    """Every phase rule: each phase on its own, then the phases together."""
    problems = [m for phase in phases for m in phase_problems(campaign, phase)]
    return problems + phases_problems(phases)


def validate_rubric(rubric: Rubric, criteria: Sequence[Criterion]) -> list[Problem]:
    """The criteria of a rubric: at least one, codes not repeated, weights summing to its total."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for criterion in criteria:
        if criterion.code in seen:
            problems.append(
                Problem(
                    _("“%(rubric)s”中编号“%(code)s”重复")
                    % {"rubric": rubric.name, "code": criterion.code}
                )
            )
        seen.add(criterion.code)
    total = sum(c.weight or 0 for c in criteria)
    if not criteria:
        problems.append(Problem(_("“%(rubric)s”还没有评价项目") % {"rubric": rubric.name}))
    elif rubric.total_weight is not None and total != rubric.total_weight:
        problems.append(
            Problem(
                _("“%(rubric)s”各项权重合计 %(total)s，与总权重 %(weight)s 不符（%(items)s）")
                % {
                    "rubric": rubric.name,
                    "total": total,
                    "weight": rubric.total_weight,
                    "items": "、".join(f"{c.title} {c.weight}" for c in criteria),
                }
            )
        )
    return problems


def contact_point_problems(campaign: Campaign | None, point: ContactPoint) -> list[Problem]:
    """A contact point's organisation must lie in the campaign's tree."""
    if campaign is None or not campaign.organization_id or not point.organization_id:
        return []
    # Tree ids are read fresh: mptt renumbers trees when a root is added or moved.
    trees = set(
        Organization.objects.filter(
            pk__in=[campaign.organization_id, point.organization_id]
        ).values_list("tree_id", flat=True)
    )
    if len(trees) > 1:
        return [
            Problem(
                _("联系点“%(point)s”不在本活动的党组织（%(root)s）之下")
                % {"point": point.organization.name, "root": campaign.organization.name},
                "organization",
            )
        ]
    return []


def milestone_problems(campaign: Campaign | None, milestone: Milestone) -> list[Problem]:
    """A milestone lies within the campaign's dates: the rounds held at a review
    or award milestone must fall inside the campaign, so one outside could never
    be held."""
    first, last = (campaign.start_date, campaign.end_date) if campaign else (None, None)
    day = milestone.date
    if first and last and day and not first <= day <= last:
        return [
            Problem(
                _("时间节点“%(name)s”（%(day)s）不在活动的起止日期（%(campaign)s）之内")
                % {"name": milestone.name, "day": date_text(day), "campaign": _span(first, last)},
                "date",
            )
        ]
    return []


def campaign_configuration_problems(campaign: Campaign) -> list[Problem]:
    """Every rule over the campaign as saved: fields, phases, each rubric, contact
    points, milestones."""
    problems = campaign_problems(campaign)
    problems += validate_phases(campaign, list(campaign.phases.all()))
    for rubric in campaign.rubrics.all():
        problems += validate_rubric(rubric, list(rubric.criteria.all()))
    for point in campaign.contact_points.select_related("organization"):
        problems += contact_point_problems(campaign, point)
    for milestone in campaign.milestones.all():
        problems += milestone_problems(campaign, milestone)
    return problems
