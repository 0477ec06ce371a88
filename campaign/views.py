"""Pages for the implementation plans (实施方案).

Each view: look up through the scoping selectors (404 outside scope) → check the
permission → validate a form → call one ``campaign.plans`` service → render or
redirect. A move the workflow forbids comes back from the service as a
``PlanError`` (a ``core.workflow.DomainError``) and is shown as a message on the plan
page by ``core.views.move_response``, never as a 500.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from campaign import plans
from campaign.forms import AttachmentForm, PlanFilterForm, PlanForm
from campaign.models import Plan, SectorGuidance
from campaign.selectors import (
    attachment_get,
    campaigns_for,
    own_plans,
    plan_for_unit,
    plans_for,
    plans_to_review,
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
    plan, _ = plan_for_unit(request.user, campaign_pk, organization_pk)
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
        "form": form or (PlanForm(instance=plan) if editable else None),
        "return_form": ReasonForm(move=plans.WORKFLOW.moves["return"]) if reviewable else None,
        "attachment_form": AttachmentForm() if editable else None,
        "current_phase": plan.campaign.current_phase(),
    }
    return render(request, "campaign/plan_detail.html", context, status=status)


@login_required
@require_GET
def plan_print(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, _ = plan_for_unit(request.user, campaign_pk, organization_pk)
    context = {
        "plan": plan,
        "campaign": plan.campaign,
        "organization": plan.organization,
        "exists": plan.pk is not None,
        "guidance": SectorGuidance.objects.filter(
            campaign=plan.campaign, sector_id=plan.organization.sector_id
        ).first(),
        "attachments": list(plan.attachments.all()) if plan.pk else [],
    }
    return render(request, "campaign/plan_print.html", context)


def _require_writer(request: HttpRequest, plan: Plan) -> None:
    """Only the unit's own people (and staff above) write a plan; the state is the service's."""
    if not selectors.can(request.user, selectors.EDIT_MEMBERS, plan.organization):
        raise PermissionDenied("只有本组织或上级党组织可以填写实施方案")


@login_required
@require_POST
def plan_edit(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, _ = plan_for_unit(request.user, campaign_pk, organization_pk)
    _require_writer(request, plan)
    form = PlanForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, plan, form=form, status=400)
    try:
        plan = plans.plan_for(campaign=plan.campaign, organization=plan.organization)
        plans.plan_save(plan=plan, user=request.user, **form.cleaned_data)
    except plans.PlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "方案已保存")
    return _back(plan)


@login_required
@require_POST
def plan_submit(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    if not exists:
        messages.error(request, "请先填写并保存方案，再报送")
        return _back(plan)
    return move_response(
        request, plans.plan_submit, done="方案已报送上级党组织", back=_back(plan), plan=plan
    )


@login_required
@require_POST
def plan_accept(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    if not exists:
        messages.error(request, "该单位尚未填写实施方案")
        return _back(plan)
    return move_response(request, plans.plan_accept, done="方案已备案", back=_back(plan), plan=plan)


@login_required
@require_POST
def plan_return(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, exists = plan_for_unit(request.user, campaign_pk, organization_pk)
    if not exists:
        messages.error(request, "该单位尚未填写实施方案")
        return _back(plan)
    return move_response(
        request,
        plans.plan_return,
        done="方案已退回",
        back=_back(plan),
        reason_for=plans.WORKFLOW.moves["return"],
        plan=plan,
    )


# ------------------------------------------------------------------ attachments


@login_required
@require_POST
def attachment_upload(request: HttpRequest, campaign_pk: int, organization_pk: int) -> HttpResponse:
    plan, _ = plan_for_unit(request.user, campaign_pk, organization_pk)
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
        messages.success(request, f"已上传附件：{attachment.name}")
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
