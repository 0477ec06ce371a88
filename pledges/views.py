"""Pages for pledges (公开承诺): lists, filing and approving, 践诺, 评诺, moderation.

Each view: look up through the scoping selectors (404 outside scope) → check the
permission → validate a form → call one ``pledges.services`` function →
redirect with a message. A move the workflow forbids comes back as a
``PledgeError`` (a ``core.workflow.DomainError``) and is shown on the pledge page by
``core.views.move_response``, never as a 500.
"""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.models import Campaign, Criterion
from campaign.selectors import campaign_get, campaigns_for, running_campaign
from core.forms import ReasonForm, first_error
from core.jobs import PreviewNotConfirmable, job_confirm_preview, job_start
from core.models import Job
from core.views import move_response, spreadsheet_download
from orgs import selectors as org_selectors
from orgs.models import Member, Organization
from pledges import selectors, services
from pledges.forms import (
    BaseItemFormSet,
    ChangeNoteForm,
    ItemFormSet,
    ModerateForm,
    OutcomeForm,
    PledgeFilterForm,
    PledgeStartForm,
    UpdateForm,
)
from pledges.models import Pledge, PledgeUpdate

PAGE_SIZE = 50


def _formset_error(formset: Any) -> str:
    for form in formset.forms:
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            return _("第%(n)s项 %(field)s：%(problem)s") % {
                "n": formset.forms.index(form) + 1,
                "field": label,
                "problem": errors[0],
            }
    errors = formset.non_form_errors()
    return str(errors[0]) if errors else _("输入有误")


def _criteria(campaign: Campaign, member: bool):
    return Criterion.objects.filter(
        rubric__campaign=campaign, rubric__subject="member" if member else "organization"
    ).select_related("rubric")


def _given(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters actually set (what a link or an export job carries)."""
    return {k: v for k, v in filters.items() if v not in (None, "", False)}


def _back(pledge: Pledge) -> HttpResponse:
    return redirect("pledges:pledge_detail", pk=pledge.pk)


# ------------------------------------------------------------------ lists


@login_required
@require_GET
def pledge_list(request: HttpRequest) -> HttpResponse:
    """Pledges in the user's scope, by campaign, organisation subtree, state and pledger."""
    campaigns = campaigns_for(request.user)
    form = PledgeFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    campaign, scope_root, pledges = selectors.filtered_pledges(request.user, filters)
    if request.GET.get("mine") == "approve":  # 待我审核
        pledges = pledges.filter(pk__in=selectors.awaiting_approval(request.user).values("pk"))
    query = request.GET.copy()
    query.pop("page", None)
    own = org_selectors.own_member(request.user)
    context = {
        "form": form,
        "campaign": campaign,
        "campaigns": campaigns,
        "scope_root": scope_root,
        "page": Paginator(pledges, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "pending_comments": selectors.comments_to_moderate(request.user).count(),
        "awaiting": selectors.awaiting_approval(request.user).count(),
        "mine": request.GET.get("mine", ""),
        # A member with a login files their own pledge from here (while a campaign runs).
        "own_member": own if own and running_campaign(own.organization) else None,
        "filters": {k: v for k, v in _given(filters).items() if k != "campaign"},
    }
    return render(request, "pledges/pledge_list.html", context)


@login_required
@require_POST
def pledge_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The list as it is filtered, one row per item, as a background job (XLSX or CSV)."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    if not org_selectors.can_anywhere(request.user, org_selectors.EXPORT):
        raise PermissionDenied
    form = PledgeFilterForm(request.POST)
    filters = form.cleaned_data if form.is_valid() else {}
    campaign, scope_root, _rows = selectors.filtered_pledges(request.user, filters)  # 404s here
    if campaign is None:
        raise Http404
    job = job_start(
        kind="pledge_export",
        user=request.user,
        params={
            "format": fmt,
            "filters": _given(filters) | {"campaign": campaign.pk},
        },
    )
    return redirect("core:job_detail", pk=job.pk)


# ------------------------------------------------------------------ filing


def _param(request: HttpRequest, name: str) -> str:
    """A value from the query string (a form posts back to its own address) or the form."""
    return request.GET.get(name) or request.POST.get(name) or ""


def _pledger(request: HttpRequest) -> tuple[Organization, Member | None]:
    """The organisation or member named in the query, through the scope."""
    if _param(request, "member"):
        member = org_selectors.member_get(request.user, _param(request, "member"))
        return member.organization, member
    if _param(request, "organization"):
        return org_selectors.organization_get(request.user, _param(request, "organization")), None
    own = org_selectors.own_member(request.user)
    if own is None:
        raise Http404
    return own.organization, own


def _campaign_for(request: HttpRequest, organization: Organization) -> Campaign:
    if _param(request, "campaign"):
        campaign = campaign_get(request.user, _param(request, "campaign"))
    else:
        found = running_campaign(organization)
        if found is None:
            raise Http404
        campaign = found
    if not org_selectors.contains(campaign.organization, organization):
        raise Http404
    return campaign


def _choose_pledger(request: HttpRequest) -> HttpResponse:
    """新建承诺 without a pledger named: pick the unit (``?unit=``, default the first
    the user answers for), then the unit itself or one of its members."""
    units = org_selectors.organization_choices_for(request.user, org_selectors.EDIT_MEMBERS)
    unit = None
    if request.GET.get("unit", "").isdigit():
        unit = units.filter(pk=request.GET["unit"]).first()
    unit = unit or org_selectors.own_units(request.user).first() or units.first()
    if unit is None:
        raise Http404
    campaign = running_campaign(unit)
    members = Member.objects.filter(organization=unit).order_by("number")
    if campaign is not None:
        members = members.annotate(
            pledged=Exists(Pledge.objects.filter(campaign=campaign, member=OuterRef("pk")))
        )
    context = {
        "units": units,
        "unit": unit,
        "campaign": campaign,
        "page": Paginator(members, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": f"unit={unit.pk}",
    }
    return render(request, "pledges/pledge_choose.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pledge_create(request: HttpRequest) -> HttpResponse:
    """Start a pledge for an organisation (``?organization=``) or a member (``?member=``);
    with neither, a member files their own, and anyone else picks whose it is."""
    named = _param(request, "member") or _param(request, "organization")
    choosing = "unit" in request.GET or org_selectors.own_member(request.user) is None
    if not named and request.method == "GET" and choosing:
        return _choose_pledger(request)
    organization, member = _pledger(request)
    campaign = _campaign_for(request, organization)
    probe = Pledge(campaign=campaign, organization=organization, member=member)
    if not services.can_write(request.user, probe):
        raise PermissionDenied
    criteria = _criteria(campaign, member is not None)
    start = PledgeStartForm(request.POST or None, for_member=member is not None)
    formset = ItemFormSet(request.POST or None, form_kwargs={"criteria": criteria}, prefix="items")
    if request.method == "POST":
        if start.is_valid() and formset.is_valid():
            on_behalf = member is not None and member.user_id != request.user.pk
            try:
                pledge = services.pledge_create(
                    campaign=campaign,
                    user=request.user,
                    organization=organization,
                    member=member,
                    audience=start.cleaned_data["audience"],
                    items=cast(BaseItemFormSet, formset).items(),
                    on_behalf=on_behalf,
                )
            except services.PledgeError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("承诺已保存为草稿，请提交审核"))
                return _back(pledge)
        else:
            messages.error(request, first_error(start) if start.errors else _formset_error(formset))
    context = {
        "campaign": campaign,
        "organization": organization,
        "member": member,
        "start": start,
        "formset": formset,
    }
    return render(request, "pledges/pledge_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pledge_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the items; on a published pledge this opens the next revision."""
    pledge = selectors.pledge_get(request.user, pk)
    if not services.can_edit(request.user, pledge):
        raise PermissionDenied
    criteria = _criteria(pledge.campaign, pledge.member_id is not None)
    current = selectors.revision_items(pledge, pledge.revision)
    initial = [
        {
            "key": i.key,
            "content": i.content,
            "due_date": i.due_date,
            "verification": i.verification,
            "criterion": i.criterion_id,
        }
        for i in current
    ]
    formset = ItemFormSet(
        request.POST or None, initial=initial, form_kwargs={"criteria": criteria}, prefix="items"
    )
    note = ChangeNoteForm(request.POST or None)
    if request.method == "POST":
        if formset.is_valid() and note.is_valid():
            try:
                services.pledge_save(
                    pledge=pledge,
                    user=request.user,
                    items=cast(BaseItemFormSet, formset).items(),
                    change_note=note.cleaned_data["change_note"],
                )
            except services.PledgeError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("承诺已保存"))
                return _back(pledge)
        else:
            messages.error(
                request, _formset_error(formset) if formset.errors else first_error(note)
            )
    context = {
        "pledge": pledge,
        "campaign": pledge.campaign,
        "organization": pledge.organization,
        "member": pledge.member,
        "formset": formset,
        "note": note if pledge.is_public else None,
    }
    return render(request, "pledges/pledge_form.html", context)


@login_required
@require_GET
def pledge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = selectors.pledge_get(request.user, pk)
    user = request.user
    working = selectors.revision_items(pledge, pledge.revision)
    published = (
        selectors.revision_items(pledge, pledge.published_revision) if pledge.is_public else []
    )
    can_approve = services.can_approve(user, pledge)
    can_write = services.can_write(user, pledge)
    can_moderate = services.can_moderate(user, pledge)
    context = {
        "pledge": pledge,
        "working": working,
        "published": published,
        "revisions": pledge.revisions.order_by("-number"),
        "updates": PledgeUpdate.objects.filter(pledge=pledge).order_by("-happened_on", "-pk"),
        "comments": selectors.comments_shown(pledge, moderator=can_moderate)[:50],
        "can_edit": services.can_edit(user, pledge),
        "can_write": can_write,
        "can_approve": can_approve,
        # 审核通过 (退回 and 评诺 stay with can_approve): not for the one who entered it.
        "may_approve": services.may_approve(user, pledge),
        "can_publish": pledge.state == Pledge.State.APPROVED and (can_approve or can_write),
        "can_moderate": can_moderate,
        "return_form": ReasonForm(move=services.WORKFLOW.moves["return"]),
        "outcome_form": OutcomeForm(
            phases=pledge.campaign.phases.order_by("start_date"),
            initial={"outcome": pledge.outcome, "comment": pledge.outcome_comment},
        )
        if can_approve and pledge.is_public
        else None,
        "update_form": UpdateForm(items=published) if can_write and pledge.is_public else None,
    }
    return render(request, "pledges/pledge_detail.html", context)


@login_required
@require_POST
def pledge_submit(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = selectors.pledge_get(request.user, pk)
    return move_response(
        request, services.pledge_submit, done=_("已提交审核"), back=_back(pledge), pledge=pledge
    )


@login_required
@require_POST
def pledge_approve(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = selectors.pledge_get(request.user, pk)
    return move_response(
        request,
        services.pledge_approve,
        done=_("已审核通过，可以公示"),
        back=_back(pledge),
        pledge=pledge,
    )


@login_required
@require_POST
def pledge_publish(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = selectors.pledge_get(request.user, pk)
    return move_response(
        request,
        services.pledge_publish,
        done=_("已公示，群众可在公示栏查看"),
        back=_back(pledge),
        pledge=pledge,
    )


@login_required
@require_POST
def pledge_return(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = selectors.pledge_get(request.user, pk)
    return move_response(
        request,
        services.pledge_return,
        done=_("已退回"),
        back=_back(pledge),
        reason_for=services.WORKFLOW.moves["return"],
        pledge=pledge,
    )


@login_required
@require_POST
def pledge_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """评诺."""
    pledge = selectors.pledge_get(request.user, pk)
    form = OutcomeForm(request.POST, phases=pledge.campaign.phases.all())
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(pledge)
    return move_response(
        request,
        services.pledge_outcome_set,
        done=_("评诺结果已保存"),
        back=_back(pledge),
        pledge=pledge,
        outcome=form.cleaned_data["outcome"],
        comment=form.cleaned_data["comment"],
        phase=form.cleaned_data["phase"],
    )


@login_required
@require_POST
def pledge_update_add(request: HttpRequest, pk: int) -> HttpResponse:
    """践诺: a progress entry with an optional photo."""
    pledge = selectors.pledge_get(request.user, pk)
    items = selectors.revision_items(pledge, pledge.published_revision)
    form = UpdateForm(request.POST, request.FILES, items=items)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(pledge)
    return move_response(
        request,
        services.pledge_update_add,
        done=_("践诺情况已登记"),
        back=_back(pledge),
        pledge=pledge,
        item_key=form.cleaned_data["item_key"],
        happened_on=form.cleaned_data["happened_on"],
        text=form.cleaned_data["text"],
        photo=form.cleaned_data.get("photo"),
    )


# ------------------------------------------------------------------ 群众监督


@login_required
@require_GET
def comment_list(request: HttpRequest) -> HttpResponse:
    """Visitors' comments waiting for the user's branches."""
    comments = selectors.comments_to_moderate(request.user).order_by("created_at")
    page = Paginator(comments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pledges/comment_list.html", {"page": page})


@login_required
@require_POST
def comment_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    comment = selectors.comment_get(request.user, pk)
    form = ModerateForm(request.POST)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    back = redirect(target or "pledges:comment_list")
    if not form.is_valid():
        messages.error(request, _("请选择显示或不予显示"))
        return back
    return move_response(
        request,
        services.comment_moderate,
        done=_("留言已处理"),
        back=back,
        comment=comment,
        approve=form.cleaned_data["decision"] == "approve",
    )


# ------------------------------------------------------------------ documents


@login_required
@require_POST
def document_start(request: HttpRequest, kind: str, organization_pk: int) -> HttpResponse:
    """Ask for a poster (公示栏) or a summary table (承诺汇总表) as a background job."""
    from pledges.jobs import DOCUMENTS

    if kind not in DOCUMENTS:
        raise Http404
    organization = org_selectors.organization_get(request.user, organization_pk)
    campaign = _campaign_for(request, organization)
    job = job_start(
        kind=DOCUMENTS[kind],
        user=request.user,
        params={"organization": organization.pk, "campaign": campaign.pk},
        dedupe=True,
    )
    return redirect("core:job_detail", pk=job.pk)


# ------------------------------------------------------------------ import


IMPORT_HEADERS = ["党员编号", "承诺对象", "承诺事项", "完成时限", "检验方式", "对应标准"]


def _import_organization(request: HttpRequest) -> Organization | None:
    """The branch the file is for: given, or the user's first branch with edit rights."""
    units = org_selectors.organization_choices_for(request.user, org_selectors.EDIT_MEMBERS)
    if _param(request, "organization"):
        organization = org_selectors.organization_get(request.user, _param(request, "organization"))
        if not org_selectors.can(request.user, org_selectors.EDIT_MEMBERS, organization):
            raise PermissionDenied
        return organization
    return units.filter(kind=Organization.Kind.BRANCH).first() or units.first()


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload members' pledges for a branch; a dry-run job checks them and shows the preview."""
    from pledges.forms import PledgeImportForm

    if not org_selectors.can_anywhere(request.user, org_selectors.EDIT_MEMBERS):
        raise PermissionDenied
    organization = _import_organization(request)
    if organization is None:
        raise PermissionDenied
    campaign = _campaign_for(request, organization)
    form = PledgeImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = job_start(
            kind="pledge_import",
            user=request.user,
            params={
                "campaign": campaign.pk,
                "organization": organization.pk,
                "dry_run": True,
                "filename": upload.name,
            },
            input_file=upload,
        )
        return redirect("core:job_detail", pk=job.pk)
    context = {"form": form, "organization": organization, "campaign": campaign}
    return render(request, "pledges/import_upload.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, job_pk: int) -> HttpResponse:
    """Commit a file whose dry run passed: a second job over the same upload."""
    try:
        job = job_confirm_preview(user=request.user, preview_pk=job_pk, kind="pledge_import")
    except Job.DoesNotExist:
        raise Http404 from None
    except PreviewNotConfirmable:
        messages.error(request, _("只能确认校验通过的预览"))
        return redirect("core:job_detail", pk=job_pk)
    return redirect("core:job_detail", pk=job.pk)


@login_required
@require_GET
def import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """A spreadsheet with the expected headers and one example row."""
    if not org_selectors.can_anywhere(request.user, org_selectors.EDIT_MEMBERS):
        raise PermissionDenied
    if fmt not in ("xlsx", "csv"):
        raise Http404
    example = [
        [
            "（党员编号）",
            "向群众",
            "每月走访联系户不少于2户",
            "2010-12-31",
            "走访记录、群众评议",
            "",
        ]
    ]
    return spreadsheet_download(fmt, IMPORT_HEADERS, example, title="党员承诺导入模板")
