"""Loading a campaign from a seed data file (``load_campaign``), all or nothing.

Every row is checked with the rules in ``campaign.rules`` (the same ones the
models' ``clean()`` and the admin apply) before anything is written.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from campaign.choices import PlanField
from campaign.models import (
    Campaign,
    ContactPoint,
    Criterion,
    Milestone,
    Phase,
    PlanSection,
    Rubric,
    SectorGuidance,
)
from campaign.rules import (
    campaign_configuration_problems,
    date_text,
    milestone_problems,
    validate_phases,
    validate_rubric,
)
from core import audit
from orgs.models import Organization, Sector


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

# Sections of a data file that higher apps load (reviews: ``review_kinds``),
# registered from their AppConfig.ready (the ``core.jobs.register`` idiom), so
# campaign loads them without importing those apps. A loader gets the campaign
# with its phases, rubrics and milestones saved, inside the load's transaction,
# and returns (the objects it created, for the audit trail; the problems found):
# any problem undoes the whole load.
SectionLoader = Callable[[Campaign, list[Any]], tuple[list[Any], list[str]]]
_sections: dict[str, SectionLoader] = {}


def register_section(key: str) -> Callable[[SectionLoader], SectionLoader]:
    def decorator(loader: SectionLoader) -> SectionLoader:
        _sections[key] = loader
        return loader

    return decorator


def data_fields(data: dict[str, Any], where: str, required: set[str], optional: set[str]) -> dict:
    """One object of a data file: its fields, the readers' notes left out; a
    missing or unknown field raises ``CampaignDataError`` naming ``where``.
    Higher apps' sections (``register_section``) check their objects with it too."""
    unknown = set(data) - required - optional - NOTE_KEYS
    missing = required - set(data)
    problems = [f"{where}：缺少 {k}" for k in sorted(missing)]
    problems += [f"{where}：不认识的字段 {k}" for k in sorted(unknown)]
    if problems:
        raise CampaignDataError(problems)
    return {k: v for k, v in data.items() if k not in NOTE_KEYS}


def choice_value(choices: Any, given: Any) -> Any:
    """A choice as a data file may write it: its value (branch) or its label
    (党支部); None when it is neither."""
    if given in choices.values:
        return given
    return {str(label): value for value, label in choices.choices}.get(given)


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
    spec = data_fields(
        data,
        "数据文件",
        {"campaign", "phases", "rubrics"},
        {
            "source",
            "sector_guidance",
            "milestones",
            "participation",
            "plan_sections",
            "contact_points",
            *_sections,
        },
    )
    values = data_fields(
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
            item = data_fields(item, where, {"name", "start_date", "end_date"}, {"focus"})
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
            item = data_fields(
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
                entry = data_fields(
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
            item = data_fields(item, "分类指导", {"sector", "title"}, {"requirements"})
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
            item = data_fields(item, "时间节点", {"name", "date", "kind"}, {"description"})
            item["date"] = _date(item["date"], f"时间节点“{item['name']}”")
            milestone = Milestone(campaign=campaign, **item)
            problems += _field_problems(milestone, f"时间节点“{milestone.name}”", ["campaign"])
            problems += milestone_problems(campaign, milestone)
            milestones.append(milestone)
        problems += _repeated(
            ((m.name, m.date) for m in milestones),
            lambda k: f"时间节点“{k[0]}”（{date_text(k[1])}）重复",
        )

        sector_ids, kinds, scope_problems = _participation(spec.get("participation"), sectors)
        problems += scope_problems
        plan_sections, section_problems = _plan_sections(campaign, spec.get("plan_sections", []))
        problems += section_problems
        contact_points, point_problems = _contact_points(campaign, spec.get("contact_points", []))
        problems += point_problems

        if problems:
            raise CampaignDataError(problems)

        if kinds:
            campaign.participating_kinds = kinds
            campaign.save(update_fields=["participating_kinds"])
        campaign.participating_sectors.set(sector_ids)
        PlanSection.objects.bulk_create(plan_sections)
        ContactPoint.objects.bulk_create(contact_points)
        Phase.objects.bulk_create(phases)
        for rubric, criteria in rubrics:
            rubric.save()
            for criterion in criteria:
                criterion.rubric = rubric
            Criterion.objects.bulk_create(criteria)
        SectorGuidance.objects.bulk_create(guidance)
        Milestone.objects.bulk_create(milestones)

        loaded: list[Any] = []
        for key, loader in _sections.items():
            if key in spec:
                objects, section_problems = loader(campaign, spec[key])
                problems += section_problems
                loaded += objects
        if problems:
            raise CampaignDataError(problems)

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
            for obj in [
                *created,
                *guidance,
                *milestones,
                *plan_sections,
                *contact_points,
                *loaded,
            ]
        )
    return LoadResult(campaign, created=True)


def _participation(
    spec: dict[str, Any] | None, sectors: dict[str, Sector]
) -> tuple[list[int], list[str], list[str]]:
    """参加范围: ``{"sectors": [领域名称 …], "kinds": [组织类型 …]}``; a kind by its
    value (branch) or its label (党支部). Absent or empty: every unit takes part."""
    if not spec:
        return [], [], []
    try:
        spec = data_fields(spec, "参加范围", set(), {"sectors", "kinds"})
    except CampaignDataError as exc:
        return [], [], exc.problems
    problems: list[str] = []
    sector_ids = []
    for name in spec.get("sectors", []):
        if name in sectors:
            sector_ids.append(sectors[name].pk)
        else:
            problems.append(f"参加范围：没有领域“{name}”；现有领域：{'、'.join(sectors)}")
    labels = "、".join(str(label) for label in Organization.Kind.labels)
    kinds = []
    for kind in spec.get("kinds", []):
        value = choice_value(Organization.Kind, kind)
        if value is None:
            problems.append(f"参加范围：没有组织类型“{kind}”；可用：{labels}")
        else:
            kinds.append(value)
    return sector_ids, kinds, problems


def _plan_sections(campaign: Campaign, items: list[dict]) -> tuple[list[PlanSection], list[str]]:
    """方案栏目: ``[{"field": theme, "label": 创先目标, "required": true, "help_text": …}]``,
    in order; ``field`` is one of the plan's six text fields (or its default label)."""
    problems: list[str] = []
    rows = []
    for position, item in enumerate(items, start=1):
        where = f"第 {position} 个方案栏目"
        try:
            item = data_fields(item, where, {"field", "label"}, {"help_text", "required"})
        except CampaignDataError as exc:
            problems += exc.problems
            continue
        field = choice_value(PlanField, item["field"])
        if field is None:
            problems.append(
                f"{where}：没有栏目“{item['field']}”；可用：{'、'.join(PlanField.values)}"
            )
            continue
        section = PlanSection(
            campaign=campaign,
            position=position,
            field=field,
            label=item["label"],
            help_text=item.get("help_text", ""),
            required=bool(item.get("required", True)),
        )
        problems += _field_problems(section, f"方案栏目“{section.label}”", ["campaign"])
        rows.append(section)
    problems += _repeated((r.field for r in rows), lambda f: f"方案栏目 {f} 重复")
    problems += _repeated((r.label for r in rows), lambda n: f"方案栏目“{n}”重复")
    return rows, problems


def _contact_points(campaign: Campaign, items: list[dict]) -> tuple[list[ContactPoint], list[str]]:
    """联系点: ``[{"leader": 用户名, "organization": 组织代码, "remark": 备注}]`` (``note``
    is a reader's note, as everywhere in the file, and not loaded). The leader's
    account and the organisation must exist, the organisation in the campaign's tree."""
    problems: list[str] = []
    rows = []
    users = get_user_model().objects.in_bulk(
        [i.get("leader") for i in items if isinstance(i, dict)], field_name="username"
    )
    units = Organization.objects.in_bulk(
        [i.get("organization") for i in items if isinstance(i, dict)], field_name="code"
    )
    for position, item in enumerate(items, start=1):
        where = f"第 {position} 个联系点"
        try:
            item = data_fields(item, where, {"leader", "organization"}, {"remark"})
        except CampaignDataError as exc:
            problems += exc.problems
            continue
        leader, unit = users.get(item["leader"]), units.get(item["organization"])
        if leader is None:
            problems.append(f"{where}：没有用户名为“{item['leader']}”的账号")
        if unit is None:
            problems.append(f"{where}：没有组织代码为“{item['organization']}”的党组织")
        if leader is None or unit is None:
            continue
        if unit.tree_id != campaign.organization.tree_id:
            problems.append(
                f"{where}：“{unit.name}”不在本活动的党组织（{campaign.organization.name}）之下"
            )
            continue
        point = ContactPoint(
            campaign=campaign, leader=leader, organization=unit, note=item.get("remark", "")
        )
        problems += _field_problems(point, where, ["campaign"])
        rows.append(point)
    problems += _repeated(((r.leader_id, r.organization_id) for r in rows), lambda k: "联系点重复")
    return rows, problems
