"""The 整改 pages: the list of a subtree's items with filters, an item with its
moves and history, opening one by hand or from a finding, the evidence, the
export and the 整改台账. Each looks the item up through ``reviews.rectify``'s
scoped reads (another subtree's item is a 404) and writes through its services."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.selectors import campaigns_for
from core import audit
from core.forms import ReasonForm, first_error
from core.jobs import job_start
from core.views import move_response
from orgs import selectors
from orgs.models import Sector
from reviews import rectify, rectify_documents
from reviews.models_rectify import Rectification
from reviews.rectify_forms import EvidenceForm, FilterForm, ManualForm, OpenForm

PAGE_SIZE = 50


def _back(item: Rectification) -> HttpResponse:
    return redirect("reviews:rectify_detail", pk=item.pk)


def _filter_form(request: HttpRequest) -> FilterForm:
    tops = selectors.top_organizations_for(request.user, selectors.READ_RECORDS)
    top_ids = list(tops.values_list("pk", flat=True)[:50])
    # The tops and their children: a district's office picks a street, a street a community.
    units = selectors.organizations_for(request.user, selectors.READ_RECORDS).filter(
        Q(pk__in=top_ids) | Q(parent_id__in=top_ids)
    )
    asked = request.GET.get("organization") or ""
    if asked.isdigit():
        units = units | selectors.organizations_for(request.user, selectors.READ_RECORDS).filter(
            pk=int(asked)
        )
    return FilterForm(
        request.GET or None,
        sectors=Sector.objects.all(),
        organizations=units.order_by("tree_id", "lft"),
    )


@login_required
@require_GET
def rectify_list(request: HttpRequest) -> HttpResponse:
    """整改台账 (list): the items of the user's subtrees, filtered."""
    if not selectors.can_anywhere(request.user, selectors.READ_RECORDS):
        raise PermissionDenied(_("党员账号不能查看整改台账"))
    form = _filter_form(request)
    found = rectify.rectifications_filtered(
        rectify.rectifications_for(request.user), request.GET.dict(), request.user
    ).order_by("due_on", "pk")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = rectify.annotate_overdue(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    unit = request.GET.get("organization") or ""
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "total": found.count(),
        "may_new": selectors.can_anywhere(request.user, selectors.EDIT_MEMBERS),
        "exports": selectors.can_anywhere(request.user, selectors.EXPORT),
        "ledger_unit": selectors.organizations_for(request.user, selectors.READ_RECORDS)
        .filter(pk=int(unit))
        .first()
        if unit.isdigit()
        else None,
    }
    return render(request, "reviews/rectify/list.html", context)


@login_required
@require_GET
def rectify_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = rectify.rectification_get(request.user, pk)
    entries = audit.AuditEntry.objects.filter(
        Q(model="reviews.rectification", object_id=str(item.pk))
        | Q(
            model="reviews.rectificationfile",
            object_id__in=[str(f) for f in item.files.values_list("pk", flat=True)],
        )
    )
    moves = rectify.moves_open(request.user, item)
    context = {
        "item": item,
        "late": rectify.is_overdue(item),
        "source_url": rectify.source_url(item),
        "files": list(item.files.all()),
        "moves": moves,
        "may_evidence": rectify.may_add_files(request.user, item),
        "evidence_form": EvidenceForm(initial={"evidence": item.evidence}),
        "redo_form": ReasonForm(move=rectify.WORKFLOW.moves["redo"]),
        "history": audit.record_history(entries, request.GET.get("history")),
    }
    return render(request, "reviews/rectify/detail.html", context)


def _campaigns(request: HttpRequest):
    return campaigns_for(request.user, selectors.EDIT_MEMBERS).order_by("-start_date")


@login_required
@require_http_methods(["GET", "POST"])
def rectify_new(request: HttpRequest) -> HttpResponse:
    """手工录入: an item entered by hand, for a unit the user edits or reviews."""
    if not selectors.can_anywhere(request.user, selectors.EDIT_MEMBERS):
        raise PermissionDenied(_("只有党组织的经办人可以录入整改事项"))
    form = ManualForm(
        request.POST or None,
        initial={"organization": request.GET.get("organization")},
        campaigns=_campaigns(request),
        organizations=selectors.organizations_for(request.user, selectors.EDIT_MEMBERS).order_by(
            "tree_id", "lft"
        ),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = rectify.rectification_open(
                user=request.user,
                campaign=data["campaign"],
                organization=data["organization"],
                description=data["description"],
                due_on=data["due_on"],
                source_kind=Rectification.SourceKind.MANUAL,
                source_text=data["source_text"],
            )
        except rectify.RectifyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已录入整改事项"))
            return _back(item)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "reviews/rectify/new.html", {"form": form, "finding": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def rectify_open(request: HttpRequest, kind: str, source_id: int) -> HttpResponse:
    """开整改 from a finding: a subject's opinions or 点评, a spot check's findings."""
    try:
        finding = rectify.finding_for(request.user, kind, source_id)
    except rectify.RectifyError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:rectify_list")
    if not rectify.may_open(request.user, finding.organization, kind):
        raise PermissionDenied(
            _("只有上级党组织或活动办公室可以向“%(unit)s”交办整改")
            % {"unit": finding.organization.name}
        )
    form = OpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = rectify.rectification_open_from(
                user=request.user,
                finding=finding,
                description=form.cleaned_data["description"],
                due_on=form.cleaned_data["due_on"],
            )
        except rectify.RectifyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("已向“%(unit)s”交办整改") % {"unit": finding.organization.name}
            )
            return _back(item)
    context = {
        "form": form,
        "finding": finding,
        "kind_label": Rectification.SourceKind(kind).label,
        "opened": rectify.opened_from(kind, finding.source_id),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/rectify/new.html", context, status=status)


@login_required
@require_POST
def rectify_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """整改情况 and 佐证材料 saved (the item stays as it is); ``complete`` also marks it done."""
    item = rectify.rectification_get(request.user, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(item)
    data = form.cleaned_data
    try:
        if "complete" in request.POST:
            rectify.rectification_complete(
                item=item,
                user=request.user,
                evidence=data["evidence"],
                files=data["evidence_files"],
            )
            messages.success(request, _("已报告整改完成，等待上级核验"))
        else:
            rectify.rectification_evidence(
                item=item,
                user=request.user,
                evidence=data["evidence"],
                files=data["evidence_files"],
            )
            messages.success(request, _("整改情况已保存"))
    except rectify.RectifyError as exc:
        messages.error(request, str(exc))
    return _back(item)


def _move(request: HttpRequest, pk: int, service: Any, done: str, reason: bool = False):
    item = rectify.rectification_get(request.user, pk)
    return move_response(
        request,
        service,
        done=done,
        back=_back(item),
        reason_for=rectify.WORKFLOW.moves["redo"] if reason else None,
        item=item,
    )


@login_required
@require_POST
def rectify_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, rectify.rectification_start, _("已开始整改"))


@login_required
@require_POST
def rectify_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, rectify.rectification_complete, _("已报告整改完成，等待上级核验"))


@login_required
@require_POST
def rectify_verify(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, rectify.rectification_verify, _("已核验"))


@login_required
@require_POST
def rectify_redo(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, rectify.rectification_redo, _("已要求重新整改"), reason=True)


@login_required
@require_GET
def rectify_file(request: HttpRequest, pk: int) -> FileResponse:
    """A 佐证材料 file, for whoever reads its item (others: 404)."""
    kept = rectify.file_get(request.user, pk)
    try:
        handle = kept.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=kept.name, content_type=kept.content_type
    )


@login_required
@require_POST
def rectify_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The list (its filters) as XLSX or CSV, by a job."""
    if fmt not in rectify_documents.FORMATS:
        raise Http404
    if not selectors.can_anywhere(request.user, selectors.EXPORT):
        raise PermissionDenied(_("您没有导出整改台账的权限"))
    filters = {k: request.POST.get(k, "") for k in rectify.FILTERS if request.POST.get(k)}
    job = job_start(
        kind=rectify_documents.EXPORT,
        user=request.user,
        params={"format": fmt, "filters": filters},
    )
    return redirect("core:job_detail", pk=job.pk)


@login_required
@require_POST
def rectify_ledger(request: HttpRequest, organization_pk: int) -> HttpResponse:
    """The unit's 整改台账 PDF (its subtree's items), by a job."""
    unit = (
        selectors.organizations_for(request.user, selectors.READ_RECORDS)
        .filter(pk=organization_pk)
        .first()
    )
    if unit is None:
        raise Http404
    job = job_start(
        kind=rectify_documents.LEDGER,
        user=request.user,
        params={"organization": unit.pk},
        dedupe=True,
    )
    return redirect("core:job_detail", pk=job.pk)
