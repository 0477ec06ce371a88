"""Starting, running and reporting background jobs.

A job kind maps to a handler ``handler(job, report)`` registered by the app that
owns the work. ``job_start`` records the job and queues the Celery task on
commit; the task (``core.tasks.run_job``) loads the job by id and calls the
handler. Handlers must be safe to run twice: the task may be delivered again
after a worker dies.
"""

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import audit, logs
from core.models import Job

log = logging.getLogger(__name__)

Report = Callable[[int, str], None]
Handler = Callable[[Job, Report], None]

Allowed = Callable[[Any], bool]
# Whether a user may still have the job's file: it re-checks, at download time,
# the organisations the file was made from (as the job recorded them).
Reach = Callable[[Job, Any], bool]


@dataclass(frozen=True)
class Kind:
    handler: Handler
    label: Any
    allowed: Allowed | None  # who may run the job and download its file
    source: str  # what the audit trail says the job's writes came through
    # Whether the job may run again by itself after it was cut off (a lost
    # worker, a database outage): a confirmed import must not.
    rerun: Callable[[Job], bool]
    reach: Reach | None = None  # whose file it is; None: the file is never handed out


_kinds: dict[str, Kind] = {}


class JobError(Exception):
    """A permanent failure with a message meant for the user (in Chinese)."""


def register(
    kind: str,
    label: Any = "",
    *,
    allowed: Allowed | None = None,
    source: str = audit.Source.TASK,
    rerun: Callable[[Job], bool] = lambda job: True,
    reach: Reach | None = None,
) -> Callable[[Handler], Handler]:
    """Register the handler of a job kind.

    ``allowed(user)`` is checked for the job's starter when the job runs and
    again for whoever downloads its file, so a right withdrawn in between
    counts; checks on particular organisations stay in the handler.
    ``rerun(job)`` says whether a job cut off midway may be run again without
    anyone asking (an export may; a confirmed import ends 失败 instead).
    ``reach(job, user)`` is required of every kind that makes a file: whether
    the user still sees what that file was made from. A kind without it has
    its files refused, so a new kind cannot hand out a file unchecked.
    """

    def decorator(handler: Handler) -> Handler:
        _kinds[kind] = Kind(handler, label or kind, allowed, source, rerun, reach)
        return handler

    return decorator


def previews_only(job: Job) -> bool:
    """An import's ``rerun``: a dry run may run again after a cut-off; a commit the
    user confirmed may not (they saw it stop, and must not find it written later)."""
    return bool(job.params.get("dry_run"))


def may_use(kind: str, user: Any) -> bool:
    """Whether the user holds the right the job kind was registered with."""
    allowed = _kinds[kind].allowed if kind in _kinds else None
    return allowed is None or (user is not None and allowed(user))


def may_download(job: Job, user: Any) -> bool:
    """Whether the user may have the job's file: the kind's right still held and
    the kind's declared reach still covering what the file was made from. An
    unknown kind or one that declares no reach is refused."""
    kind = _kinds.get(job.kind)
    if kind is None or kind.reach is None:
        return False
    return may_use(job.kind, user) and kind.reach(job, user)


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


def pending_jobs(kind: str) -> QuerySet[Job]:
    """The jobs of ``kind`` waiting or running, newest first. A running job
    whose worker is lost is not among them: a page must not wait for, nor a
    second start be refused because of, a job that will never finish."""
    return (
        Job.objects.filter(kind=kind, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .exclude(_lost(timezone.now()))
        .order_by("-created_at")
    )


def _pending_twin(kind: str, user: Any, params: dict) -> Job | None:
    # JSON equality is not portable across databases; the candidates are few.
    candidates = pending_jobs(kind).filter(
        created_by=user if user and user.is_authenticated else None
    )[:20]
    return next((job for job in candidates if job.params == params), None)


def job_enqueue(job_id: int, countdown: float | None = None) -> None:
    """Hand the job to Celery; if the broker is unreachable the job stays queued."""
    from core.tasks import run_job

    try:
        run_job.apply_async((job_id,), countdown=countdown)
    except Exception as exc:  # kombu raises several unrelated types when the broker is down
        log.warning("job %s left queued: broker unavailable (%s)", job_id, exc)
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            message=_("任务队列暂不可用，任务已登记，队列恢复后自动执行")
        )


def job_run(job_id: int, worker: str = "") -> None:
    """Run one job to the end, recording progress, success or failure.

    ``worker`` is the Celery node that runs it (recorded on the job; empty
    inline). Every record logged meanwhile carries the job's id and kind.

    The job is claimed with one conditional UPDATE, so a second delivery of the
    same task (a redelivery, or the sweeper's re-queue) finds it taken and
    returns. A running job whose heartbeat stopped (its worker died) can be
    claimed again, at most ``JOB_MAX_ATTEMPTS`` times in all; after that, or
    when its kind may not run again by itself, it ends 失败 with the reason.
    """
    now = timezone.now()
    claimable = Q(status=Job.Status.QUEUED) | (Q(status=Job.Status.RUNNING) & _lost(now))
    candidate = Job.objects.filter(claimable, pk=job_id).first()
    if candidate is None:
        return
    if _ends_here(candidate):
        return
    claimed = Job.objects.filter(claimable, pk=job_id, attempts=candidate.attempts).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        progress=0,
        error="",
        worker=worker[:200],
    )
    if not claimed:
        return
    job = Job.objects.get(pk=job_id)
    with logs.context(job_id=job_id, job_kind=job.kind):
        log.info(
            "job %s (%s) running, attempt %s",
            job_id,
            job.kind,
            job.attempts,
            extra={"job_state": Job.Status.RUNNING, "attempt": job.attempts, "worker": worker},
        )
        _run_claimed(job)


def _run_claimed(job: Job) -> None:
    job_id = job.pk
    kind = _kinds[job.kind]
    monitor = _Monitor(job_id)
    try:
        if not may_use(job.kind, job.created_by):
            raise JobError(_("您没有%(kind)s权限") % {"kind": kind.label})
        # Spreadsheets and files speak the system's language (Chinese column
        # values such as 党支部), whatever language the starter's page is in;
        # a job run inline in an English request must behave like one on a worker.
        with (
            monitor,
            translation.override(settings.LANGUAGE_CODE),
            audit.acting(job.created_by, kind.source, job.pk),
        ):
            kind.handler(job, monitor.report)
    except JobError as exc:
        _finish(job_id, Job.Status.FAILED, error=str(exc))
        return
    except SoftTimeLimitExceeded:
        minutes = settings.CELERY_TASK_SOFT_TIME_LIMIT // 60
        error = _("任务超过时限（%(n)s 分钟）仍未完成，已停止") % {"n": minutes}
        _finish(job_id, Job.Status.FAILED, error=error)
        return
    except (OperationalError, InterfaceError) as exc:
        log.warning("job %s (%s): database unavailable (%s)", job_id, job.kind, exc)
        _after_database_error(job, kind)
        return
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, job.kind)
        error = _("任务执行出错：%(error)s") % {"error": exc.__class__.__name__}
        _finish(job_id, Job.Status.FAILED, error=error)
        return
    _finish(job_id, Job.Status.SUCCEEDED)


def _ends_here(job: Job) -> bool:
    """End a job that may not be claimed again: its kind is gone, its attempts
    are used up, or it was cut off and may not run again by itself."""
    kind = _kinds.get(job.kind)
    if kind is None:
        reason = _("未知的任务类型：%(kind)s") % {"kind": job.kind}
    elif job.attempts >= settings.JOB_MAX_ATTEMPTS:
        reason = _(
            "任务已执行 %(n)s 次均未完成（处理进程中断或超时），已停止："
            "请检查文件内容或缩小范围后重新发起"
        ) % {"n": job.attempts}
    elif job.status == Job.Status.RUNNING and not kind.rerun(job):
        reason = _("任务执行中断，为避免重复写入未自动重试：请核对数据后重新发起")
    else:
        return False
    # Conditional: a worker that claimed it meanwhile keeps it.
    Job.objects.filter(pk=job.pk, status=job.status, attempts=job.attempts).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), error=reason, message=""
    )
    return True


def _after_database_error(job: Job, kind: Kind) -> None:
    """The database went away under the job (a restart, a failover). Its
    transaction rolled back; a job that may run again is queued once more with a
    growing delay, within its attempts; any other ends 失败 and says so."""
    # job.attempts was read after the claim: it counts this run.
    if kind.rerun(job) and job.attempts < settings.JOB_MAX_ATTEMPTS:
        delay = 30 * 2 ** (job.attempts - 1)
        _write_retrying(
            lambda: Job.objects.filter(pk=job.pk).update(
                status=Job.Status.QUEUED,
                message=_("数据库连接中断，%(n)s 秒后自动重试") % {"n": delay},
            )
        )
        job_enqueue(job.pk, countdown=delay)
        return
    _finish(
        job.pk,
        Job.Status.FAILED,
        error=_("数据库连接中断，任务未完成，未写入任何数据：请在系统恢复后重新发起"),
    )


def _write_retrying(write: Callable[[], Any], tries: int = 6) -> Any:
    """Run one write, retrying with backoff while the database is unreachable
    (0.5 + 1 + 2 + 4 + 8 s): recording a failure must outlast a restart."""
    delay = 0.5
    for attempt in range(tries):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if attempt == tries - 1:
                raise
            if not connection.in_atomic_block:
                connection.close()  # the next query opens a fresh connection
            time.sleep(delay)
            delay *= 2
    return None


class _Monitor:
    """Progress and a heartbeat on the job row.

    On PostgreSQL a thread with its own connection writes them (at most once a
    second, and a heartbeat every ``JOB_HEARTBEAT_SECONDS``), so progress shows
    while an import holds its transaction open, and a worker that dies stops
    beating. SQLite allows one writer at a time, so there ``report`` writes
    directly, as the job's own connection.
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.threaded = connection.vendor == "postgresql"
        self.pending: tuple[int, str] | None = None
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def report(self, progress: int, message: str = "") -> None:
        value = (max(0, min(100, progress)), str(message)[:200])
        if not self.threaded:
            Job.objects.filter(pk=self.job_id).update(
                progress=value[0], message=value[1], heartbeat_at=timezone.now()
            )
            return
        with self.lock:
            self.pending = value
        self.wake.set()

    def __enter__(self) -> "_Monitor":
        if self.threaded:
            self.thread = threading.Thread(target=self._beat, daemon=True, name="job-heartbeat")
            self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.thread is not None:
            self.done.set()
            self.wake.set()
            self.thread.join(timeout=10)

    def _beat(self) -> None:
        from django.db import connections

        last_beat = time.monotonic()
        try:
            while True:
                self.wake.wait(timeout=1.0)
                self.wake.clear()
                with self.lock:
                    pending, self.pending = self.pending, None
                now = time.monotonic()
                if pending is None and now - last_beat < settings.JOB_HEARTBEAT_SECONDS:
                    if self.done.is_set():
                        return
                    continue
                fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
                if pending is not None:
                    fields.update(progress=pending[0], message=pending[1])
                try:
                    Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(**fields)
                    last_beat = now
                except DatabaseError as exc:  # the next beat tries again
                    log.warning("job %s: heartbeat not written (%s)", self.job_id, exc)
                    connections["default"].close()
                if self.done.is_set():
                    return
        finally:
            connections.close_all()  # this thread's connections only


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
    _write_retrying(lambda: Job.objects.filter(pk=job_id).update(**fields))
    log.info("job %s %s", job_id, status, extra={"job_state": status})


def stale_after() -> dt.timedelta:
    """A running job older than this has outlived the hard time limit."""
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def _lost(now: dt.datetime) -> Q:
    """Running jobs whose worker is gone: no heartbeat for JOB_LOST_AFTER_SECONDS
    (PostgreSQL, where a thread beats), else past the hard time limit (SQLite,
    where a job beats only when it reports progress)."""
    if connection.vendor == "postgresql":
        cutoff = now - dt.timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS)
        return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    return Q(started_at__lt=now - stale_after())


def jobs_sweep(*, queued_for: dt.timedelta = dt.timedelta(minutes=2)) -> int:
    """Re-queue jobs the broker lost (queued too long) and jobs whose worker is
    lost; a lost job that may not run again (attempts used up, or a kind that
    must not repeat by itself) ends 失败 instead. Returns how many it handled."""
    now = timezone.now()
    stuck = Job.objects.filter(
        Q(status=Job.Status.QUEUED, created_at__lt=now - queued_for)
        | (Q(status=Job.Status.RUNNING) & _lost(now))
    )
    handled = 0
    for job in stuck.order_by("created_at")[:500]:
        handled += 1
        if job.status == Job.Status.RUNNING and _ends_here(job):
            continue
        job_enqueue(job.pk)
    return handled


def kind_label(kind: str) -> Any:
    return _kinds[kind].label if kind in _kinds else kind


def jobs_for(user: Any):
    """Jobs a user may see: their own; the admin sees all."""
    if not user.is_authenticated:
        return Job.objects.none()
    if user.is_superuser:
        return Job.objects.all()
    return Job.objects.filter(created_by=user)


def job_save_output(job: Job, filename: str, data: bytes | IO[bytes]) -> None:
    """Attach the file a job made, replacing an earlier one.

    ``data`` is the bytes, or an open binary file (a large output spooled to
    a temporary file is copied to storage in chunks, never held in memory
    whole: a district's 荣誉证书 ZIP is 180 MB, benchmarks/awards_year.py).
    A job may run twice (redelivery after a worker restart); deleting the old
    file first leaves exactly one file behind.
    """
    from django.core.files.base import ContentFile, File

    if job.output_file:
        job.output_file.delete(save=False)
    content = ContentFile(data) if isinstance(data, bytes) else File(data)
    job.output_file.save(filename, content, save=False)
    job.save(update_fields=["output_file"])


def job_input_table(job: Job, kind: str, *, stream: bool = False):
    """The job's uploaded spreadsheet as a Table; a file that cannot be read is
    recorded as the import's single error (the job page lists it) and fails the job.
    ``stream``: the handler reads the rows once, in order (``read_table``)."""
    from core.tabular import TableError, read_table

    with job.input_file.open("rb") as handle:
        data = handle.read()
    try:
        return read_table(data, job.params.get("filename", job.input_file.name), stream=stream)
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
    Job.DoesNotExist, which views turn into 404. A preview is confirmed once:
    the preview row is marked with one conditional UPDATE, so a second
    confirmation (a double click, two tabs) gets the first one's commit job.
    """
    try:
        preview = jobs_for(user).get(pk=preview_pk, kind=kind)
    except ValueError:
        raise Job.DoesNotExist from None
    if preview.status != Job.Status.SUCCEEDED or not preview.params.get("dry_run"):
        raise PreviewNotConfirmable(preview.pk)
    with transaction.atomic():
        first = Job.objects.filter(pk=preview.pk, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        if not first:
            earlier = Job.objects.filter(kind=kind, params__preview_job=preview.pk).first()
            if earlier is None:  # marked by a confirmation still in its transaction
                raise PreviewNotConfirmable(preview.pk)
            return earlier
        return job_start(
            kind=kind,
            user=user,
            params=preview.params | {"dry_run": False, "preview_job": preview.pk},
            stored_input=preview.input_file.name,  # the same upload, not a second copy
        )
