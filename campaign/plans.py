"""The plan (实施方案) workflow: every write to a plan goes through these services.

草稿 → 已报送 → 已备案 | 退回 (with a reason) → 已报送 again. The organisation
itself (its branch secretary, or committee staff above it) drafts and submits;
the parent organisation's staff or the campaign office accept or return. An
accepted plan is final. Each move records an audit entry.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaign import trends
from campaign.choices import PlanField
from campaign.models import Campaign, Plan, PlanAttachment
from campaign.selectors import takes_part
from core import audit, uploads, workflow
from orgs import selectors, tallies
from orgs.models import Organization

PLAN_FIELDS = tuple(PlanField.values)


@dataclass(frozen=True)
class Section:
    """One text field of a campaign's plan, as its document names it (``PlanSection``)."""

    field: str
    label: str | Promise
    help_text: str | Promise
    required: bool


# A campaign that configures no sections asks for these: the 四个明确 required,
# 工作措施 and 进度安排 optional.
DEFAULT_PLAN_SECTIONS = (
    Section(
        "theme", PlanField.THEME.label, gettext_lazy("四个明确之一：本单位开展活动的实践主题"), True
    ),
    Section(
        "carriers", PlanField.CARRIERS.label, gettext_lazy("四个明确之一：开展活动的主要载体"), True
    ),
    Section(
        "conditions",
        PlanField.CONDITIONS.label,
        gettext_lazy("四个明确之一：创建先进基层党组织的具体条件"),
        True,
    ),
    Section(
        "commitments",
        PlanField.COMMITMENTS.label,
        gettext_lazy("四个明确之一：向党员群众公开承诺的内容"),
        True,
    ),
    Section("measures", PlanField.MEASURES.label, "", False),
    Section("schedule", PlanField.SCHEDULE.label, "", False),
)


def sections(campaign: Campaign) -> list[Section]:
    """The plan's fields for this campaign, in order: its ``PlanSection`` rows, or
    the defaults when it has none. Read once per campaign object."""
    cached = getattr(campaign, "_plan_sections", None)
    if cached is None:
        rows = campaign.plan_sections.all() if campaign.pk else []
        cached = [Section(r.field, r.label, r.help_text, r.required) for r in rows]
        cached = cached or list(DEFAULT_PLAN_SECTIONS)
        campaign._plan_sections = cached  # type: ignore[attr-defined]
    return cached


def section_values(plan: Plan) -> list[tuple[Section, str]]:
    """The plan's content as the campaign names it: each section with its text."""
    return [(section, getattr(plan, section.field)) for section in sections(plan.campaign)]


ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# File signatures: the content decides the type, not the name.
ATTACHMENT_TYPES = (uploads.PDF, uploads.DOCX, uploads.PNG, uploads.JPEG)


TALLY = "plans"  # the stored counts (orgs.tallies): plans.<campaign>.<state> per organisation


def tally_key(campaign_id: int, state: str) -> str:
    return f"{TALLY}.{campaign_id}.{state}"


ACCEPTED_IN = "accepted"  # the quarter figure (campaign.trends): plans 备案 in the quarter


def _counted(plan: Plan) -> list[tuple[int, str]]:
    """Where a plan counts: its unit, under its campaign and state, and once
    accepted under the quarter of its 备案."""
    found = [(plan.organization_id, tally_key(plan.campaign_id, plan.state))]
    if plan.state == Plan.State.ACCEPTED and plan.reviewed_at is not None:
        found.append(
            (
                plan.organization_id,
                trends.quarter_key(TALLY, plan.campaign_id, plan.reviewed_at, ACCEPTED_IN),
            )
        )
    return found


def _state_changed(before: Plan, after: Plan) -> None:
    tallies.follow(_counted(before), _counted(after))


class PlanError(workflow.DomainError):
    """A move the workflow forbids; the message is for the user."""


def can_edit(user: Any, plan: Plan) -> bool:
    """The unit's own people (and those above) write the plan while it is open."""
    return (
        plan.state in (Plan.State.DRAFT, Plan.State.RETURNED)
        and selectors.can(user, selectors.EDIT_MEMBERS, plan.organization)
        and takes_part(plan.campaign, plan.organization)
    )


def can_review(user: Any, plan: Plan) -> bool:
    """The parent organisation's staff or the campaign office above; never the unit itself."""
    return selectors.acts_from_above(user, plan.organization)


def plan_for(*, campaign: Campaign, organization: Organization) -> Plan:
    """The unit's plan for the campaign, created as an empty draft the first time."""
    if organization.tree_id != campaign.organization.tree_id:
        raise PlanError(_("该党组织不在本次活动范围内"))
    if not takes_part(campaign, organization):
        raise PlanError(not_taking_part(campaign, organization))
    with transaction.atomic():
        plan, created = Plan.objects.get_or_create(campaign=campaign, organization=organization)
        if created:
            tallies.follow([], _counted(plan))
            audit.record(plan, audit.Action.CREATE, organization_id=organization.pk)
    return plan


def not_taking_part(campaign: Campaign, organization: Organization) -> str:
    """Why a unit files no plan for the campaign, in words."""
    if organization.parent_id is None:
        return _("“%(unit)s”是活动所在的根党组织，不报送实施方案") % {"unit": organization.name}
    if not organization.is_active:
        return _("“%(unit)s”已撤销，不报送实施方案") % {"unit": organization.name}
    return _("“%(unit)s”（%(sector)s·%(kind)s）不在本次活动的参加范围内（%(scope)s）") % {
        "unit": organization.name,
        "sector": organization.sector.name,
        "kind": organization.get_kind_display(),
        "scope": campaign.participation_text(),
    }


def plan_save(*, plan: Plan, user: Any, **values: Any) -> Plan:
    """Change the plan's text fields while it is a draft or returned."""
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not plan fields: {sorted(unknown)}")
    with transaction.atomic():
        fresh = Plan.objects.select_for_update().select_related("organization").get(pk=plan.pk)
        if not can_edit(user, fresh):
            raise PlanError(_("方案%(state)s，不能修改") % {"state": fresh.get_state_display()})
        before = audit.snapshot(fresh)
        for name, value in values.items():
            setattr(fresh, name, value)
        fresh.full_clean()
        fresh.save()
        audit.record(fresh, audit.Action.UPDATE, before, organization_id=fresh.organization_id)
    return fresh


def _locked(pk: int) -> Plan:
    # Lock the plan row only: the parent is a nullable (outer) join, which
    # PostgreSQL refuses to lock.
    return (
        Plan.objects.select_for_update(of=("self",))
        .select_related("organization__parent")
        .get(pk=pk)
    )


def _required_filled(plan: Plan, user: Any) -> None:
    """The campaign's required sections (the 四个明确 by default) are all written."""
    missing = [
        str(section.label)
        for section, value in section_values(plan)
        if section.required and not value.strip()
    ]
    if missing:
        raise PlanError(_("方案必填栏目未填写完整：%(missing)s") % {"missing": "、".join(missing)})


def _writer(user: Any, plan: Plan) -> bool:
    return selectors.can(user, selectors.EDIT_MEMBERS, plan.organization)


WORKFLOW = workflow.declare(
    model=Plan,
    noun=pgettext_lazy("workflow noun", "方案"),
    error=PlanError,
    locked=_locked,
    organization_id=lambda plan: plan.organization_id,
    changed=_state_changed,
    moves=[
        workflow.Move(
            verb="submit",
            label=pgettext_lazy("workflow move", "报送"),
            sources=(Plan.State.DRAFT, Plan.State.RETURNED),
            target=Plan.State.SUBMITTED,
            allowed=_writer,
            refusal=gettext_lazy("只有本组织可以报送方案"),
            check=_required_filled,
            stamps={"submitted_at": workflow.NOW},
        ),
        workflow.Move(
            verb="accept",
            label=pgettext_lazy("workflow move", "备案"),
            sources=(Plan.State.SUBMITTED,),
            target=Plan.State.ACCEPTED,
            allowed=can_review,
            refusal=gettext_lazy("只有上级党组织或活动办公室可以备案"),
            stamps={"reviewed_at": workflow.NOW, "reviewed_by": workflow.ACTOR},
            clears=("return_reason",),
        ),
        workflow.Move(
            verb="return",
            label=pgettext_lazy("workflow move", "退回"),
            sources=(Plan.State.SUBMITTED,),
            target=Plan.State.RETURNED,
            allowed=can_review,
            refusal=gettext_lazy("只有上级党组织或活动办公室可以退回"),
            needs_reason=True,
            stamps={
                "reviewed_at": workflow.NOW,
                "reviewed_by": workflow.ACTOR,
                "return_reason": workflow.REASON,
            },
        ),
    ],
)


def plan_submit(*, plan: Plan, user: Any) -> Plan:
    """报送: a draft or a returned plan goes to the parent organisation."""
    return workflow.apply(WORKFLOW, "submit", obj=plan, user=user)


def plan_accept(*, plan: Plan, user: Any) -> Plan:
    """备案: the parent organisation or the campaign office accepts a submitted plan."""
    return workflow.apply(WORKFLOW, "accept", obj=plan, user=user)


def plan_return(*, plan: Plan, user: Any, reason: str) -> Plan:
    """退回 with a reason: the unit revises and submits again."""
    return workflow.apply(WORKFLOW, "return", obj=plan, user=user, reason=reason)


def attachment_add(*, plan: Plan, user: Any, upload: Any) -> PlanAttachment:
    """Attach a PDF, DOCX or image, checked by size and by content."""
    if not can_edit(user, plan):
        raise PlanError(_("方案%(state)s，不能添加附件") % {"state": plan.get_state_display()})
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise PlanError(
            _("附件过大：%(size).1f MB，上限为 %(max)s MB")
            % {"size": upload.size / 1024 / 1024, "max": ATTACHMENT_MAX_BYTES // 1024 // 1024}
        )
    name = upload.name.rsplit("/", 1)[-1][:200]
    match = uploads.sniff(upload, ATTACHMENT_TYPES)
    if match is None:
        raise PlanError(_("只接受 PDF、DOCX、PNG、JPG 文件：%(name)s") % {"name": name})
    content_type = match.content_type
    if not name.lower().endswith(match.extensions):
        raise PlanError(_("文件内容与扩展名不符：%(name)s") % {"name": name})
    with transaction.atomic():
        attachment = PlanAttachment(
            plan=plan,
            name=name,
            content_type=content_type,
            size=upload.size,
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        audit.record(attachment, audit.Action.CREATE, organization_id=plan.organization_id)
    return attachment
