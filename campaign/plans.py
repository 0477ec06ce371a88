"""The plan (实施方案) workflow: every write to a plan goes through these services.

草稿 → 已报送 → 已备案 | 退回 (with a reason) → 已报送 again. The organisation
itself (its branch secretary, or committee staff above it) drafts and submits;
the parent organisation's staff or the campaign office accept or return. An
accepted plan is final. Each move records an audit entry.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaign.models import Campaign, Plan, PlanAttachment
from core import audit, uploads, workflow
from orgs import selectors
from orgs.models import Organization

PLAN_FIELDS = ("theme", "carriers", "conditions", "commitments", "measures", "schedule")
# 四个明确: the plan cannot be filed without these.
FOUR_CLEAR = {
    "theme": "实践主题",
    "carriers": "活动载体",
    "conditions": "创建条件",
    "commitments": "承诺内容",
}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# File signatures: the content decides the type, not the name.
ATTACHMENT_TYPES = (uploads.PDF, uploads.DOCX, uploads.PNG, uploads.JPEG)


class PlanError(workflow.DomainError):
    """A move the workflow forbids; the message is for the user."""


def can_edit(user: Any, plan: Plan) -> bool:
    """The unit's own people (and those above) write the plan while it is open."""
    return plan.state in (Plan.State.DRAFT, Plan.State.RETURNED) and selectors.can(
        user, selectors.EDIT_MEMBERS, plan.organization
    )


def can_review(user: Any, plan: Plan) -> bool:
    """The parent organisation's staff or the campaign office above; never the unit itself."""
    return selectors.acts_from_above(user, plan.organization)


def plan_for(*, campaign: Campaign, organization: Organization) -> Plan:
    """The unit's plan for the campaign, created as an empty draft the first time."""
    if organization.tree_id != campaign.organization.tree_id:
        raise PlanError(_("该党组织不在本次活动范围内"))
    plan, created = Plan.objects.get_or_create(campaign=campaign, organization=organization)
    if created:
        audit.record(plan, audit.Action.CREATE, organization_id=organization.pk)
    return plan


def plan_save(*, plan: Plan, user: Any, **values: Any) -> Plan:
    """Change the 四个明确 and the rest while the plan is a draft or returned."""
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


def _four_clear(plan: Plan, user: Any) -> None:
    missing = [label for f, label in FOUR_CLEAR.items() if not getattr(plan, f).strip()]
    if missing:
        raise PlanError("“四个明确”未填写完整：" + "、".join(str(m) for m in missing))


def _writer(user: Any, plan: Plan) -> bool:
    return selectors.can(user, selectors.EDIT_MEMBERS, plan.organization)


WORKFLOW = workflow.declare(
    model=Plan,
    noun=pgettext_lazy("workflow noun", "方案"),
    error=PlanError,
    locked=_locked,
    organization_id=lambda plan: plan.organization_id,
    moves=[
        workflow.Move(
            verb="submit",
            label=pgettext_lazy("workflow move", "报送"),
            sources=(Plan.State.DRAFT, Plan.State.RETURNED),
            target=Plan.State.SUBMITTED,
            allowed=_writer,
            refusal=gettext_lazy("只有本组织可以报送方案"),
            check=_four_clear,
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
