"""Job progress and downloads, and the small responses every app uses."""

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import health
from core.forms import ReasonForm, first_error
from core.jobs import jobs_for, may_download
from core.models import Job
from core.tabular import write_table
from core.workflow import DomainError


def _job(request: HttpRequest, pk: int) -> Job:
    try:
        return jobs_for(request.user).get(pk=pk)
    except (Job.DoesNotExist, ValueError):
        raise Http404 from None


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "core/job_detail.html", {"job": _job(request, pk)})


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial; htmx polls it until the job finishes."""
    job = _job(request, pk)
    response = render(request, "core/_job_progress.html", {"job": job})
    if job.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # show the full result once, then stop polling
    return response


@login_required
@require_GET
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    """The job's file, if the user may still see what it was made from: the kind's
    declared reach decides (a kind that declares none is refused), so a file about
    an organisation is not handed out after the grant that reached it is gone."""
    job = _job(request, pk)
    if not job.output_file or not may_download(job, request.user):
        raise Http404
    name = (job.output_file.name or "").rsplit("/", 1)[-1]
    return FileResponse(job.output_file.open("rb"), as_attachment=True, filename=name)


def spreadsheet_download(
    fmt: str, headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str
) -> HttpResponse:
    """A small spreadsheet (an import template) answered directly, named after its title."""
    content, content_type = write_table(fmt, headers, rows, title=title)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(title)}.{fmt}"
    return response


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: the database, Redis (when configured) and a live
    Celery worker (when there is a broker), as JSON; 200 when all pass, else 503.
    No login, and nothing in it names a host, a user or an error."""
    healthy, checks = health.report()
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
        json_dumps_params={"ensure_ascii": False},
    )


def move_response(
    request: HttpRequest,
    move: Callable[..., Any],
    *,
    done: str,
    back: HttpResponse,
    reason_for: Any = None,
    **arguments: Any,
) -> HttpResponse:
    """Make one workflow move as the request's user; a refusal (any DomainError)
    comes back as its Chinese message instead of a 500, success as ``done``.
    With ``reason_for`` (the declared Move), the posted reason is read through
    ``ReasonForm`` first and passed on as ``reason``."""
    if reason_for is not None:
        form = ReasonForm(request.POST, move=reason_for)
        if not form.is_valid():
            messages.error(request, first_error(form))
            return back
        arguments["reason"] = form.cleaned_data["reason"]
    try:
        move(user=request.user, **arguments)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return back
