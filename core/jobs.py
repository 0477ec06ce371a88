"""Starting, running and reporting background jobs.

A job kind maps to a handler ``handler(job, report)`` registered by the app that
owns the work. ``job_start`` records the job and queues the Celery task on
commit; the task (``core.tasks.run_job``) loads the job by id and calls the
handler. Handlers must be safe to run twice: the task may be delivered again
after a worker dies.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from core import audit
from core.models import Job

log = logging.getLogger(__name__)

Report = Callable[[int, str], None]
Handler = Callable[[Job, Report], None]

Allowed = Callable[[Any], bool]


@dataclass(frozen=True)
class Kind:
    handler: Handler
    label: Any
    allowed: Allowed | None  # who may run the job and download its file
    source: str  # what the audit trail says the job's writes came through


_kinds: dict[str, Kind] = {}


class JobError(Exception):
    """A permanent failure with a message meant for the user (in Chinese)."""


def register(
    kind: str,
    label: Any = "",
    *,
    allowed: Allowed | None = None,
    source: str = audit.Source.TASK,
) -> Callable[[Handler], Handler]:
    """Register the handler of a job kind.

    ``allowed(user)`` is checked for the job's starter when the job runs and
    again for whoever downloads its file, so a right withdrawn in between
    counts; checks on particular organisations stay in the handler.
    """

    def decorator(handler: Handler) -> Handler:
        _kinds[kind] = Kind(handler, label or kind, allowed, source)
        return handler

    return decorator


def may_use(kind: str, user: Any) -> bool:
    """Whether the user holds the right the job kind was registered with."""
    allowed = _kinds[kind].allowed if kind in _kinds else None
    return allowed is None or (user is not None and allowed(user))


def job_start(
    *,
    kind: str,
    user: Any,
    params: dict | None = None,
    input_file: Any = None,
    stored_input: str = "",
    dedupe: bool = False,
) -> Job:
    """Record a job and queue it once the surrounding transaction commits.

    ``input_file`` is an upload to store; ``stored_input`` names a file already
    in storage (a confirmed preview reuses its upload). With ``dedupe``, asking
    again for the same kind and parameters while the first job is still waiting
    or running returns that job instead of making a second file.
    """
    if kind not in _kinds:
        raise ValueError(f"unknown job kind {kind!r}")
    if dedupe:
        pending = _pending_twin(kind, user, params or {})
        if pending is not None:
            return pending
    job = Job(kind=kind, created_by=user if user and user.is_authenticated else None)
    job.params = params or {}
    if input_file is not None:
        job.input_file.save(getattr(input_file, "name", "upload"), input_file, save=False)
    elif stored_input:
        job.input_file.name = stored_input
    job.save()
    transaction.on_commit(lambda: job_enqueue(job.pk))
    return job


def _pending_twin(kind: str, user: Any, params: dict) -> Job | None:
    # JSON equality is not portable across databases; the candidates are few.
    candidates = Job.objects.filter(
        kind=kind,
        created_by=user if user and user.is_authenticated else None,
        status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
    ).order_by("-created_at")[:20]
    return next((job for job in candidates if job.params == params), None)


def job_enqueue(job_id: int) -> None:
    """Hand the job to Celery; if the broker is unreachable the job stays queued."""
    from core.tasks import run_job

    try:
        run_job.delay(job_id)
    except Exception as exc:  # kombu raises several unrelated types when the broker is down
        log.warning("job %s left queued: broker unavailable (%s)", job_id, exc)
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            message="任务队列暂不可用，任务已登记，队列恢复后自动执行"
        )


def job_run(job_id: int) -> None:
    """Run one job to the end, recording progress, success or failure.

    The job is claimed with one conditional UPDATE, so a second delivery of the
    same task (a redelivery, or the sweeper's re-queue) finds it taken and
    returns. A job left running by a dead worker becomes claimable again once
    it is older than the task time limit.
    """
    now = timezone.now()
    claimable = Q(status=Job.Status.QUEUED) | Q(
        status=Job.Status.RUNNING, started_at__lt=now - stale_after()
    )
    claimed = Job.objects.filter(claimable, pk=job_id).update(
        status=Job.Status.RUNNING, started_at=now, attempts=F("attempts") + 1, progress=0, error=""
    )
    if not claimed:
        return
    job = Job.objects.get(pk=job_id)

    def report(progress: int, message: str = "") -> None:
        Job.objects.filter(pk=job_id).update(progress=max(0, min(100, progress)), message=message)

    kind = _kinds[job.kind]
    try:
        if not may_use(job.kind, job.created_by):
            raise JobError(f"您没有{kind.label}权限")
        # Spreadsheets and files speak the system's language (Chinese column
        # values such as 党支部), whatever language the starter's page is in;
        # a job run inline in an English request must behave like one on a worker.
        with (
            translation.override(settings.LANGUAGE_CODE),
            audit.acting(job.created_by, kind.source, job.pk),
        ):
            kind.handler(job, report)
    except JobError as exc:
        _finish(job_id, Job.Status.FAILED, error=str(exc))
        return
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, job.kind)
        _finish(job_id, Job.Status.FAILED, error=f"任务执行出错：{exc.__class__.__name__}")
        return
    _finish(job_id, Job.Status.SUCCEEDED)


def _finish(job_id: int, status: str, error: str = "") -> None:
    # The last step's message ("正在读取文件") no longer describes a finished job.
    fields: dict[str, Any] = {
        "status": status,
        "finished_at": timezone.now(),
        "error": error,
        "message": "",
    }
    if status == Job.Status.SUCCEEDED:
        fields["progress"] = 100
    Job.objects.filter(pk=job_id).update(**fields)


def stale_after() -> dt.timedelta:
    """A running job older than this has lost its worker."""
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def jobs_sweep(*, queued_for: dt.timedelta = dt.timedelta(minutes=2)) -> int:
    """Re-queue jobs the broker lost: queued too long, or running past the time limit."""
    now = timezone.now()
    stuck = Job.objects.filter(
        Q(status=Job.Status.QUEUED, created_at__lt=now - queued_for)
        | Q(status=Job.Status.RUNNING, started_at__lt=now - stale_after())
    ).values_list("pk", flat=True)
    ids = list(stuck[:500])
    for job_id in ids:
        job_enqueue(job_id)
    return len(ids)


def kind_label(kind: str) -> Any:
    return _kinds[kind].label if kind in _kinds else kind


def jobs_for(user: Any):
    """Jobs a user may see: their own; the admin sees all."""
    if not user.is_authenticated:
        return Job.objects.none()
    if user.is_superuser:
        return Job.objects.all()
    return Job.objects.filter(created_by=user)


def job_save_output(job: Job, filename: str, data: bytes) -> None:
    """Attach the file a job made, replacing an earlier one.

    A job may run twice (redelivery after a worker restart); deleting the old
    file first leaves exactly one file behind.
    """
    from django.core.files.base import ContentFile

    if job.output_file:
        job.output_file.delete(save=False)
    job.output_file.save(filename, ContentFile(data), save=False)
    job.save(update_fields=["output_file"])


def job_input_table(job: Job, kind: str):
    """The job's uploaded spreadsheet as a Table; a file that cannot be read is
    recorded as the import's single error (the job page lists it) and fails the job."""
    from core.tabular import TableError, read_table

    with job.input_file.open("rb") as handle:
        data = handle.read()
    try:
        return read_table(data, job.params.get("filename", job.input_file.name))
    except TableError as exc:
        reason = str(exc)
        job.result = {
            "kind": kind,
            "dry_run": job.params["dry_run"],
            "error_count": 1,
            "errors": [{"row": 0, "column": "", "value": "", "reason": reason, "text": reason}],
        }
        job.save(update_fields=["result"])
        raise JobError(reason) from None


class PreviewNotConfirmable(Exception):
    """The dry run failed or is still running; only a passed preview is committed."""


def job_confirm_preview(*, user: Any, preview_pk: Any, kind: str) -> Job:
    """Commit an import whose dry run passed: a second job over the same stored upload.

    Only the user's own preview (jobs_for) of that kind; anything else is
    Job.DoesNotExist, which views turn into 404.
    """
    try:
        preview = jobs_for(user).get(pk=preview_pk, kind=kind)
    except ValueError:
        raise Job.DoesNotExist from None
    if preview.status != Job.Status.SUCCEEDED or not preview.params.get("dry_run"):
        raise PreviewNotConfirmable(preview.pk)
    return job_start(
        kind=kind,
        user=user,
        params=preview.params | {"dry_run": False, "preview_job": preview.pk},
        stored_input=preview.input_file.name,  # the same upload, not a second copy
    )
