"""Pages for the implementation plans (实施方案).

Each view: look up through the scoping selectors (404 outside scope) → check the
permission → validate a form → call one ``campaign.plans`` service → render or
redirect. A move the workflow forbids comes back from the service as a
``PlanError`` (a ``core.workflow.DomainError``) and is shown as a message on the plan
page by ``core.views.move_response``, never as a 500.
"""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign import plans
from campaign.forms import AsOfForm, AttachmentForm, PlanFilterForm, PlanForm
from campaign.models import Campaign, Plan, SectorGuidance
from campaign.rules import date_text
from campaign.selectors import (
    attachment_get,
    campaign_get,
    campaigns_for,
    own_plans,
    plan_for_unit,
    plans_for,
    plans_to_review,
    takes_part,
    units_without_plan,
)
from core.forms import ReasonForm, first_error
from core.views import move_response
from orgs import selectors

PAGE_SIZE = 50


def _back(plan: Plan) -> HttpResponse:
    return redirect(
        "campaign:plan_detail", campaign_pk=plan.campaign_id, organization_pk=plan.organization_id
    )


# ------------------------------------------------------------------ lists


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    """The plans the user can see, filtered; or (``missing=1``) the units with none filed;
    ``mine=review``: the submitted plans waiting for the user's 备案.

    Phase filter: plans whose last submission (``submitted_at``) falls within the
    phase's dates, in that phase's campaign. "No plan yet": an active unit under
    the campaign root with no plan or only a draft (a draft is not filed); the
    root itself files no plan (nobody above it accepts one).
    """
    campaigns = campaigns_for(request.user)
    form = PlanFilterForm(request.GET, campaigns=campaigns)
    data = form.cleaned_data if form.is_valid() else {}
    scope_root = None
    if data.get("organization"):
        scope_root = (
            selectors.organizations_for(request.user).filter(pk=data["organization"]).first()
        )
        if scope_root is None:
            raise Http404
    missing = bool(data.get("missing"))
    mine = request.GET.get("mine", "")
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "form": form,
        "scope_root": scope_root,
        "missing": missing,
        "mine": mine,
        "query": query.urlencode(),
        "campaigns": campaigns,
        # 本单位方案: a secretary reaches the own unit's plan from here in one click.
        "own_plans": own_plans(request.user),
        "reviewer": selectors.can_anywhere(request.user, selectors.REVIEW),
    }
    if missing:
        campaign = data.get("campaign") or campaigns.first()
        context["campaign"] = campaign
        units = units_without_plan(request.user, campaign, scope_root, data.get("sector"))
        context["page"] = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "campaign/plan_missing.html", context)

    found = plans_for(request.user)
    if mine == "review":  # 待我备案: the home page's 待办 lands here
        found = plans_to_review(request.user)
    if not form.is_valid():
        found = found.none()
    if scope_root is not None:
        found = selectors.in_subtree(found, scope_root, "organization__")
    if data.get("campaign"):
        found = found.filter(campaign=data["campaign"])
    if data.get("state"):
        found = found.filter(state=data["state"])
    if data.get("sector"):
        found = found.filter(organization__sector=data["sector"])
    if data.get("phase"):
        phase = data["phase"]
        found = found.filter(
            campaign=phase.campaign_id,
            submitted_at__date__gte=phase.start_date,
            submitted_at__date__lte=phase.end_date,
        )
    found = found.order_by("campaign_id", "organization__tree_id", "organization__lft")
    context["page"] = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaign/plan_list.html", context)


# ------------------------------------------------------------------ one plan


@login_required
@require_GET
def plan_detail(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, _exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    return _render_detail(request, plan)


def _render_detail(
    request: HttpRequest, plan: Plan, form: PlanForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    editable = plans.can_edit(user, plan)
    reviewable = plans.can_review(user, plan) and plan.state == Plan.State.SUBMITTED
    context = {
        "plan": plan,
        "campaign": plan.campaign,
        "organization": plan.organization,
        "exists": plan.pk is not None,
        "guidance": SectorGuidance.objects.filter(
            campaign=plan.campaign, sector_id=plan.organization.sector_id
        ).first(),
        "attachments": list(plan.attachments.all()) if plan.pk else [],
        "can_edit": editable,
        "can_review": reviewable,
        "form": form or (PlanForm(instance=plan, campaign=plan.campaign) if editable else None),
        "sections": plans.section_values(plan),
        "required_labels": [str(s.label) for s in plans.sections(plan.campaign) if s.required],
        "not_taking_part": (
            None
            if takes_part(plan.campaign, plan.organization)
            else plans.not_taking_part(plan.campaign, plan.organization)
        ),
        "return_form": ReasonForm(move=plans.WORKFLOW.moves["return"]) if reviewable else None,
        "attachment_form": AttachmentForm() if editable else None,
        "current_phase": plan.campaign.current_phase(),
    }
    return render(request, "campaign/plan_detail.html", context, status=status)


@login_required
@require_GET
def plan_print(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, _exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    context = {
        "plan": plan,
        "campaign": plan.campaign,
        "organization": plan.organization,
        "exists": plan.pk is not None,
        "guidance": SectorGuidance.objects.filter(
            campaign=plan.campaign, sector_id=plan.organization.sector_id
        ).first(),
        "attachments": list(plan.attachments.all()) if plan.pk else [],
        "sections": plans.section_values(plan),
    }
    return render(request, "campaign/plan_print.html", context)


def _require_writer(request: HttpRequest, plan: Plan) -> None:
    """Only the unit's own people (and staff above) write a plan; the state is the service's."""
    if not selectors.can(request.user, selectors.EDIT_MEMBERS, plan.organization):
        raise PermissionDenied(_("只有本组织或上级党组织可以填写实施方案"))


@login_required
@require_POST
def plan_edit(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, _exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    _require_writer(request, plan)
    form = PlanForm(request.POST, campaign=plan.campaign)
    if not form.is_valid():
        return _render_detail(request, plan, form=form, status=400)
    try:
        plan = plans.plan_for(campaign=plan.campaign, organization=plan.organization)
        plans.plan_save(plan=plan, user=request.user, **form.cleaned_data)
    except plans.PlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("方案已保存"))
    return _back(plan)


@login_required
@require_POST
def plan_submit(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    """报送上级党组织. The button sits in the plan's form, so what is typed comes
    along: it is saved first, then submitted; if the save is refused the page
    comes back with the text as typed, and if the submission is refused (a
    required section empty) the text is saved and the message says what is
    missing. A POST without the form's fields submits the plan as saved."""
    plan, exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    typed = any(name in request.POST for name in plans.PLAN_FIELDS)
    if typed:
        _require_writer(request, plan)
        form = PlanForm(request.POST, campaign=plan.campaign)
        if not form.is_valid():
            return _render_detail(request, plan, form=form, status=400)
        try:
            plan = plans.plan_for(campaign=plan.campaign, organization=plan.organization)
            plan = plans.plan_save(plan=plan, user=request.user, **form.cleaned_data)
        except plans.PlanError as exc:
            messages.error(request, str(exc))
            return _render_detail(request, plan, form=form, status=400)
    elif not exists:
        messages.error(request, _("请先填写并保存方案，再报送"))
        return _back(plan)
    return move_response(
        request,
        plans.plan_submit,
        done=_("方案已保存并报送上级党组织") if typed else _("方案已报送上级党组织"),
        back=_back(plan),
        plan=plan,
    )


@login_required
@require_POST
def plan_accept(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    if not exists:
        messages.error(request, _("该单位尚未填写实施方案"))
        return _back(plan)
    return move_response(
        request, plans.plan_accept, done=_("方案已备案"), back=_back(plan), plan=plan
    )


@login_required
@require_POST
def plan_return(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    if not exists:
        messages.error(request, _("该单位尚未填写实施方案"))
        return _back(plan)
    return move_response(
        request,
        plans.plan_return,
        done=_("方案已退回"),
        back=_back(plan),
        reason_for=plans.WORKFLOW.moves["return"],
        plan=plan,
    )


# ------------------------------------------------------------------ attachments


@login_required
@require_POST
def attachment_upload(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, _exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    _require_writer(request, plan)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(plan)
    upload = form.cleaned_data["file"]
    try:
        plan = plans.plan_for(campaign=plan.campaign, organization=plan.organization)
        attachment = plans.attachment_add(plan=plan, user=request.user, upload=upload)
    except plans.PlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已上传附件：%(name)s") % {"name": attachment.name})
    return _back(plan)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A plan's file, for whoever can see the plan's organisation (others: 404)."""
    attachment = attachment_get(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )


# ------------------------------------------------------------------ the campaign


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    """创先争优活动: the campaigns on the trees the user works in (not a 党员's)."""
    campaigns = campaigns_for(request.user, selectors.READ_RECORDS).order_by("-start_date", "pk")
    today = timezone.localdate()
    rows = [(c, c.current_phase(today)) for c in campaigns.prefetch_related("phases")]
    return render(request, "campaign/campaign_list.html", {"rows": rows, "today": today})


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One campaign as configured, read-only: its phases (the current one marked,
    and the one an ``as_of`` date falls in), milestones, plan sections,
    participation, sector guidance, rubrics and contact points. Changing any of
    it is the admin's."""
    campaign = campaign_get(request.user, pk, selectors.READ_RECORDS)
    today = timezone.localdate()
    form = AsOfForm(request.GET or None)
    as_of = form.cleaned_data.get("as_of") if form.is_valid() else None
    day = as_of or today
    phases = list(campaign.phases.all())
    phase_on = next((p for p in phases if p.start_date <= day <= p.end_date), None)
    context = {
        "campaign": campaign,
        "form": form,
        "today": today,
        "as_of": as_of,
        "day": day,
        "phases": phases,
        "current": next((p for p in phases if p.start_date <= today <= p.end_date), None),
        "phase_on": phase_on,
        "where": _where(campaign, phases, day, phase_on),
        "milestones": list(campaign.milestones.all()),
        "sections": plans.sections(campaign),
        "participation": campaign.participation_text(),
        "guidance": list(campaign.sector_guidance.select_related("sector")),
        "rubrics": list(campaign.rubrics.prefetch_related("criteria")),
        # Who follows which unit is for the staff who review, not for every branch.
        "contact_points": (
            list(campaign.contact_points.select_related("leader", "organization"))
            if selectors.can(request.user, selectors.REVIEW, campaign.organization)
            else None
        ),
    }
    return render(request, "campaign/campaign_detail.html", context)


def _where(campaign: Campaign, phases: list, day: dt.date, phase_on: Any) -> str:
    """Which part of the campaign a day falls in, in words."""
    if phase_on is not None:
        return _("%(day)s在“%(phase)s”（第 %(n)s 个阶段）之内") % {
            "day": date_text(day),
            "phase": phase_on.name,
            "n": phase_on.position,
        }
    if day < campaign.start_date:
        return _("%(day)s活动尚未开始（%(start)s开始）") % {
            "day": date_text(day),
            "start": date_text(campaign.start_date),
        }
    if day > campaign.end_date:
        return _("%(day)s活动已经结束（%(end)s结束）") % {
            "day": date_text(day),
            "end": date_text(campaign.end_date),
        }
    return _("%(day)s不在任何阶段之内（阶段之间的空档）") % {"day": date_text(day)}
