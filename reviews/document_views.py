"""Asking for the review documents and the results export (``reviews.documents``):
POSTs that check the user may read the results concerned (404 otherwise, as a
missing round), start the job and send the user to its page."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.jobs import job_start
from orgs import selectors
from orgs.models import Organization
from reviews import documents


def _readable(request: HttpRequest, pk: int):
    scoped = documents.readable_round(request.user, pk)
    if scoped is None:
        raise Http404
    return scoped


def _to_job(job) -> HttpResponse:
    return redirect("core:job_detail", pk=job.pk)


@login_required
@require_POST
def report_start(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    """The 讲评报告 of one organisation whose results the user may read."""
    round_, found = _readable(request, pk)
    if not found.filter(organization_id=organization_pk).exists():
        raise Http404
    job = job_start(
        kind=documents.REPORT,
        user=request.user,
        params={"round": round_.pk, "organization": organization_pk},
        dedupe=True,
    )
    return _to_job(job)


@login_required
@require_POST
def reports_zip_start(request: HttpRequest, pk: int) -> HttpResponse:
    """The 讲评报告 of a subtree (the round's, or ``organization`` inside it) in one
    ZIP, holding the organisations whose results the user may read."""
    round_, found = _readable(request, pk)
    asked = request.POST.get("organization") or round_.organization_id
    root = Organization.objects.filter(pk=asked).first() if str(asked).isdigit() else None
    if root is None or not selectors.contains(round_.organization, root):
        raise Http404
    if not selectors.in_subtree(found, root, "organization__").exists():
        raise Http404
    job = job_start(
        kind=documents.REPORTS_ZIP,
        user=request.user,
        params={"round": round_.pk, "organization": root.pk},
        dedupe=True,
    )
    return _to_job(job)


@login_required
@require_POST
def export_start(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The results as the page filters them (grade, sector, child), XLSX or CSV."""
    if fmt not in documents.FORMATS:
        raise Http404
    round_, _found = _readable(request, pk)
    if not selectors.can_anywhere(request.user, selectors.EXPORT):
        raise PermissionDenied
    filters = {
        name: request.POST.get(name, "")
        for name in ("grade", "sector", "child")
        if request.POST.get(name)
    }
    job = job_start(
        kind=documents.EXPORT,
        user=request.user,
        params={"round": round_.pk, "format": fmt, "filters": filters},
    )
    return _to_job(job)
