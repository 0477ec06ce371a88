"""The campaign configuration rules, and loading a campaign from a seed data file.

The rule functions return lists of Chinese messages (empty when all is well) and
never write. The models' ``clean()``, the admin's inline formsets and
``campaign_load`` all call them, so a rule lives in exactly one place:

- ``campaign_problems``: the campaign's own fields (root organisation, dates, and
  the two kinds of rubric once it leaves 筹备).
- ``phase_problems`` / ``phases_problems`` / ``validate_phases``: one phase, the
  phases together, both.
- ``validate_rubric``: a rubric's criteria against its total weight.
- ``campaign_configuration_problems``: all of the above over what is saved.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from campaign.models import (
    Campaign,
    ContactPoint,
    Criterion,
    Milestone,
    Phase,
    Rubric,
    SectorGuidance,
)
from core import audit
from orgs.models import Organization, Sector


class Problem(str):
    """A Chinese message, plus the field it is about (None: the object as a whole).

    A plain ``str`` everywhere (formsets, command output, tests); models use
    ``field`` to attach it, which also spares the user Django's generic message
    for the database check constraint on the same field.
    """

    field: str | None

    def __new__(cls, message: str, field: str | None = None) -> "Problem":
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


def _d(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _span(start: dt.date | None, end: dt.date | None) -> str:
    return f"{_d(start) if start else '?'}至{_d(end) if end else '?'}"


# ------------------------------------------------------------------ rules


def campaign_problems(campaign: Campaign) -> list[Problem]:
    """The campaign's own fields: a root organisation, end not before start, and
    (once it leaves 筹备) at least one rubric for organisations and one for members."""
    problems: list[Problem] = []
    organization = campaign.organization if campaign.organization_id else None
    if organization is not None and organization.parent_id is not None:
        problems.append(
            Problem(
                f"“{organization.name}”不是根党组织（它的上级是“{organization.parent.name}”）；"
                "活动只能建在没有上级组织的党组织（如区委）上",
                "organization",
            )
        )
    if campaign.start_date and campaign.end_date and campaign.end_date < campaign.start_date:
        problems.append(
            Problem(
                f"活动的结束日期（{_d(campaign.end_date)}）早于开始日期（{_d(campaign.start_date)}）",
                "end_date",
            )
        )
    if campaign.status != Campaign.Status.DRAFT:
        label = Campaign.Status(campaign.status).label
        if campaign.pk is None:
            problems.append(
                Problem(
                    f"新建的活动请先设为“筹备”，配置好党组织和党员的评价标准后再改为“{label}”",
                    "status",
                )
            )
        else:
            have = set(campaign.rubrics.values_list("subject", flat=True))
            missing = [s.label for s in Rubric.Subject if s.value not in have]
            if missing:
                problems.append(
                    Problem(
                        f"活动设为“{label}”之前，须先配置{'和'.join(str(m) for m in missing)}"
                        "的评价标准",
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
                f"阶段“{phase.name}”的结束日期（{_d(end)}）早于开始日期（{_d(start)}）", "end_date"
            )
        )
    first, last = (campaign.start_date, campaign.end_date) if campaign else (None, None)
    if first and last and start and end and (start < first or end > last):
        problems.append(
            Problem(
                f"阶段“{phase.name}”（{_span(start, end)}）超出了活动的起止日期（{_span(first, last)}）"
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
                    f"阶段“{earlier.name}”和“{later.name}”的顺序号都是 {later.position}，"
                    "顺序号不能重复"
                )
            )
        elif later.start_date < earlier.start_date:
            problems.append(
                Problem(
                    f"阶段顺序不对：第 {later.position} 个阶段“{later.name}”"
                    f"（{_d(later.start_date)}开始）早于排在它前面的"
                    f"第 {earlier.position} 个阶段“{earlier.name}”（{_d(earlier.start_date)}开始）"
                )
            )
    for i, one in enumerate(by_position):
        for other in by_position[i + 1 :]:
            if one.start_date <= other.end_date and other.start_date <= one.end_date:
                problems.append(
                    Problem(
                        f"阶段“{one.name}”（{_span(one.start_date, one.end_date)}）与"
                        f"阶段“{other.name}”（{_span(other.start_date, other.end_date)}）日期重叠"
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
            problems.append(Problem(f"“{rubric.name}”中编号“{criterion.code}”重复"))
        seen.add(criterion.code)
    total = sum(c.weight or 0 for c in criteria)
    if not criteria:
        problems.append(Problem(f"“{rubric.name}”还没有评价项目"))
    elif rubric.total_weight is not None and total != rubric.total_weight:
        problems.append(
            Problem(
                f"“{rubric.name}”各项权重合计 {total}，与总权重 {rubric.total_weight} 不符"
                f"（{'、'.join(f'{c.title} {c.weight}' for c in criteria)}）"
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
                f"联系点“{point.organization.name}”不在本活动的党组织"
                f"（{campaign.organization.name}）之下",
                "organization",
            )
        ]
    return []


def campaign_configuration_problems(campaign: Campaign) -> list[Problem]:
    """Every rule over the campaign as saved: fields, phases, each rubric, contact points."""
    problems = campaign_problems(campaign)
    problems += validate_phases(campaign, list(campaign.phases.all()))
    for rubric in campaign.rubrics.all():
        problems += validate_rubric(rubric, list(rubric.criteria.all()))
    for point in campaign.contact_points.select_related("organization"):
        problems += contact_point_problems(campaign, point)
    return problems


# ------------------------------------------------------------------ loading seed data


class CampaignDataError(Exception):
    """A seed data file that does not describe a valid campaign; ``problems`` says why."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("；".join(self.problems))


@dataclass
class LoadResult:
    campaign: Campaign
    created: bool


NOTE_KEYS = {"note", "notes"}  # explanations for readers of the data file; not loaded


def _fields(data: dict[str, Any], where: str, required: set[str], optional: set[str]) -> dict:
    unknown = set(data) - required - optional - NOTE_KEYS
    missing = required - set(data)
    problems = [f"{where}：缺少 {k}" for k in sorted(missing)]
    problems += [f"{where}：不认识的字段 {k}" for k in sorted(unknown)]
    if problems:
        raise CampaignDataError(problems)
    return {k: v for k, v in data.items() if k not in NOTE_KEYS}


def _date(value: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CampaignDataError([f"{where}：日期“{value}”不是 YYYY-MM-DD 格式"]) from None


def _field_problems(obj: Any, where: str, exclude: list[str]) -> list[str]:
    """Field-level checks (lengths, choices, validators) of a row not yet saved."""
    try:
        obj.clean_fields(exclude=exclude)
    except ValidationError as exc:
        return [f"{where}：{m}" for m in exc.messages]
    return []


def _repeated(keys: Iterable[Any], describe: Any) -> list[str]:
    seen: set[Any] = set()
    problems = []
    for key in keys:
        if key in seen:
            problems.append(describe(key))
        seen.add(key)
    return problems


def campaign_load(*, root: Organization, data: dict[str, Any]) -> LoadResult:
    """Create the campaign a seed data file describes on ``root``, all or nothing.

    Idempotent: a campaign of the same name already on ``root`` is left exactly
    as it is (an admin may have edited it since) and returned with
    ``created=False``. Every row is checked, with the same rules as the admin,
    before any of them is written; the problems found are raised together as
    ``CampaignDataError`` and nothing is written.
    """
    spec = _fields(
        data,
        "数据文件",
        {"campaign", "phases", "rubrics"},
        {"source", "sector_guidance", "milestones"},
    )
    values = _fields(
        spec["campaign"],
        "活动",
        {"name", "start_date", "end_date"},
        {"document_number", "theme", "issuing_organ", "status", "description"},
    )
    status = values.pop("status", Campaign.Status.DRAFT)
    if status not in Campaign.Status.values:
        raise CampaignDataError([f"活动：状态“{status}”不是 {'/'.join(Campaign.Status.values)}"])
    for key in ("start_date", "end_date"):
        values[key] = _date(values[key], f"活动 {key}")

    with transaction.atomic():
        # Serialise loads onto the same root, so two at once cannot both create.
        root = Organization.objects.select_for_update().get(pk=root.pk)
        existing = Campaign.objects.filter(organization=root, name=values["name"]).first()
        if existing is not None:
            return LoadResult(existing, created=False)

        # Built as 筹备 and switched to its status at the end, once its rubrics exist.
        campaign = Campaign(organization=root, status=Campaign.Status.DRAFT, **values)
        try:
            campaign.full_clean()
        except ValidationError as exc:
            raise CampaignDataError(exc.messages) from None
        campaign.save()
        problems: list[str] = []

        phases = []
        for position, item in enumerate(spec["phases"], start=1):
            where = f"第 {position} 个阶段"
            item = _fields(item, where, {"name", "start_date", "end_date"}, {"focus"})
            phase = Phase(
                campaign=campaign,
                position=position,
                name=item["name"],
                focus=item.get("focus", ""),
                start_date=_date(item["start_date"], where),
                end_date=_date(item["end_date"], where),
            )
            problems += _field_problems(phase, where, ["campaign"])
            phases.append(phase)
        problems += validate_phases(campaign, phases)

        rubrics: list[tuple[Rubric, list[Criterion]]] = []
        for position, item in enumerate(spec["rubrics"], start=1):
            where = f"第 {position} 套评价标准"
            item = _fields(
                item, where, {"name", "subject", "criteria"}, {"total_weight", "description"}
            )
            rubric = Rubric(
                campaign=campaign,
                position=position,
                name=item["name"],
                subject=item["subject"],
                total_weight=item.get("total_weight", 100),
                description=item.get("description", ""),
            )
            problems += _field_problems(rubric, where, ["campaign"])
            criteria = []
            for order, entry in enumerate(item["criteria"], start=1):
                where = f"“{rubric.name}”第 {order} 项"
                entry = _fields(
                    entry, where, {"code", "title", "weight", "max_score"}, {"description"}
                )
                criterion = Criterion(rubric=rubric, position=order, **entry)
                problems += _field_problems(criterion, where, ["rubric"])
                criteria.append(criterion)
            problems += validate_rubric(rubric, criteria)
            rubrics.append((rubric, criteria))
        problems += _repeated((r.name for r, _ in rubrics), lambda n: f"评价标准“{n}”重复")

        sectors = {s.name: s for s in Sector.objects.all()}
        guidance = []
        for item in spec.get("sector_guidance", []):
            item = _fields(item, "分类指导", {"sector", "title"}, {"requirements"})
            sector = sectors.get(item.pop("sector"))
            if sector is None:
                problems.append(
                    f"分类指导“{item['title']}”：没有这个领域；现有领域：{'、'.join(sectors)}"
                )
                continue
            advice = SectorGuidance(campaign=campaign, sector=sector, **item)
            problems += _field_problems(advice, f"分类指导“{advice.title}”", ["campaign"])
            guidance.append(advice)
        problems += _repeated(
            (g.sector.name for g in guidance), lambda n: f"领域“{n}”的分类指导重复"
        )

        milestones = []
        for item in spec.get("milestones", []):
            item = _fields(item, "时间节点", {"name", "date", "kind"}, {"description"})
            item["date"] = _date(item["date"], f"时间节点“{item['name']}”")
            milestone = Milestone(campaign=campaign, **item)
            problems += _field_problems(milestone, f"时间节点“{milestone.name}”", ["campaign"])
            milestones.append(milestone)
        problems += _repeated(
            ((m.name, m.date) for m in milestones), lambda k: f"时间节点“{k[0]}”（{_d(k[1])}）重复"
        )

        if problems:
            raise CampaignDataError(problems)

        Phase.objects.bulk_create(phases)
        for rubric, criteria in rubrics:
            rubric.save()
            for criterion in criteria:
                criterion.rubric = rubric
            Criterion.objects.bulk_create(criteria)
        SectorGuidance.objects.bulk_create(guidance)
        Milestone.objects.bulk_create(milestones)

        campaign.status = status
        remaining = campaign_configuration_problems(campaign)
        if remaining:
            raise CampaignDataError(remaining)
        campaign.save(update_fields=["status"])
        created = [
            campaign,
            *phases,
            *(r for r, _ in rubrics),
            *(c for _, cs in rubrics for c in cs),
        ]
        audit.record_many(
            (
                audit.Action.CREATE,
                obj._meta.label_lower,
                obj.pk,
                str(obj)[:200],
                root.pk,
                audit.diff(None, audit.snapshot(obj)),
                "",
            )
            for obj in [*created, *guidance, *milestones]
        )
    return LoadResult(campaign, created=True)
