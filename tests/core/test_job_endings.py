"""Every job ends: bounded attempts, lost workers noticed, database outages
survived or reported, progress visible during an import, a preview confirmed once."""

import datetime as dt
import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from core import jobs
from core.models import Job
from tests.core.test_jobs import lost_ago


@pytest.fixture
def kind():
    """Register a throw-away job kind: ``kind(name, handler, **register_options)``."""
    names = []

    def make(name, handler, **options):
        jobs.register(name, name, **options)(handler)
        names.append(name)
        return name

    yield make
    for name in names:
        jobs._kinds.pop(name, None)


def running_and_lost(settings, job_kind, user, *, attempts, params=None):
    job = Job.objects.create(
        kind=job_kind,
        status=Job.Status.RUNNING,
        created_by=user,
        attempts=attempts,
        params=params or {},
    )
    Job.objects.filter(pk=job.pk).update(started_at=lost_ago(settings), heartbeat_at=None)
    return job


@pytest.mark.django_db
def test_a_job_that_keeps_killing_its_worker_ends_failed_after_its_attempts(
    kind, district, settings
):
    calls = []
    name = kind("test-crash", lambda job, report: calls.append(job.pk))
    settings.JOB_MAX_ATTEMPTS = 3
    job = running_and_lost(settings, name, district.users["office"], attempts=3)
    assert jobs.jobs_sweep() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and calls == []
    assert "已执行 3 次均未完成" in job.error
    assert jobs.jobs_sweep() == 0  # it stays ended


@pytest.mark.django_db
def test_a_redelivered_job_past_its_attempts_ends_instead_of_running(kind, district, settings):
    calls = []
    name = kind("test-crash", lambda job, report: calls.append(job.pk))
    settings.JOB_MAX_ATTEMPTS = 2
    job = running_and_lost(settings, name, district.users["office"], attempts=2)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and calls == [] and job.attempts == 2


@pytest.mark.django_db
def test_a_confirmed_import_cut_off_is_not_run_again_by_itself(kind, district, settings):
    calls = []
    name = kind("test-import", lambda job, report: calls.append(job.pk), rerun=jobs.previews_only)
    commit = running_and_lost(
        settings, name, district.users["office"], attempts=1, params={"dry_run": False}
    )
    preview = running_and_lost(
        settings, name, district.users["office"], attempts=1, params={"dry_run": True}
    )
    assert jobs.jobs_sweep() == 2
    commit.refresh_from_db()
    preview.refresh_from_db()
    assert commit.status == Job.Status.FAILED and "未自动重试" in commit.error
    assert preview.status == Job.Status.SUCCEEDED  # a dry run writes nothing: safe to redo
    assert calls == [preview.pk]


@pytest.mark.django_db
def test_asking_again_does_not_return_a_job_whose_worker_is_lost(kind, district, settings):
    name = kind("test-doc", lambda job, report: None)
    user = district.users["office"]
    lost = running_and_lost(settings, name, user, attempts=1, params={"organization": 1})
    again = jobs.job_start(kind=name, user=user, params={"organization": 1}, dedupe=True)
    assert again.pk != lost.pk
    fresh = Job.objects.create(kind=name, status=Job.Status.RUNNING, created_by=user)
    Job.objects.filter(pk=fresh.pk).update(
        started_at=timezone.now(), heartbeat_at=timezone.now(), params={"organization": 2}
    )
    assert jobs.job_start(kind=name, user=user, params={"organization": 2}, dedupe=True) == fresh


@pytest.mark.django_db
def test_the_soft_time_limit_ends_the_job_failed_with_a_message(
    kind, district, django_capture_on_commit_callbacks
):
    def slow(job, report):
        raise SoftTimeLimitExceeded()

    name = kind("test-slow", slow)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind=name, user=district.users["office"])
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "超过时限" in job.error


@pytest.mark.django_db
def test_a_database_outage_in_a_rerunnable_job_is_retried_then_reported(
    kind, district, settings, django_capture_on_commit_callbacks
):
    calls = []

    def flaky(job, report):
        calls.append(job.pk)
        raise OperationalError("server closed the connection unexpectedly")

    name = kind("test-flaky", flaky)
    settings.JOB_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind=name, user=district.users["office"])
    job.refresh_from_db()
    # Tasks run inline here, so each retry follows at once; on a worker it waits 30 s, 60 s.
    assert len(calls) == 3 and job.attempts == 3
    assert job.status == Job.Status.FAILED and "数据库连接中断" in job.error


@pytest.mark.django_db
def test_a_database_outage_in_a_confirmed_import_fails_it_at_once(
    kind, district, django_capture_on_commit_callbacks
):
    calls = []

    def flaky(job, report):
        calls.append(job.pk)
        raise OperationalError("terminating connection due to administrator command")

    name = kind("test-flaky-import", flaky, rerun=jobs.previews_only)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind=name, user=district.users["office"], params={"dry_run": False})
    job.refresh_from_db()
    assert calls == [job.pk] and job.status == Job.Status.FAILED
    assert "未写入任何数据" in job.error


def test_recording_an_outcome_outlasts_a_short_outage(monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    tries = []

    def write():
        tries.append(1)
        if len(tries) < 3:
            raise OperationalError("the database system is starting up")
        return "written"

    assert jobs._write_retrying(write) == "written" and len(tries) == 3
    with pytest.raises(OperationalError):
        jobs._write_retrying(lambda: (_ for _ in ()).throw(OperationalError("down")), tries=2)


@pytest.mark.django_db
def test_a_job_of_an_unknown_kind_ends_failed(district):
    job = Job.objects.create(kind="no-such-kind", created_by=district.users["office"])
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "未知的任务类型" in job.error


@pytest.mark.django_db
def test_a_preview_is_confirmed_once(kind, district):
    name = kind("test-preview", lambda job, report: None, rerun=jobs.previews_only)
    user = district.users["office"]
    preview = Job.objects.create(
        kind=name, status=Job.Status.SUCCEEDED, created_by=user, params={"dry_run": True}
    )
    first = jobs.job_confirm_preview(user=user, preview_pk=preview.pk, kind=name)
    second = jobs.job_confirm_preview(user=user, preview_pk=preview.pk, kind=name)
    assert first == second
    assert Job.objects.filter(kind=name, params__dry_run=False).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_start_one_commit(postgres_only, kind):
    from tests.factories import UserFactory

    name = kind("test-preview", lambda job, report: None, rerun=jobs.previews_only)
    user = UserFactory(is_superuser=True)
    preview = Job.objects.create(
        kind=name, status=Job.Status.SUCCEEDED, created_by=user, params={"dry_run": True}
    )
    barrier, results = threading.Barrier(2), []

    def confirm():
        try:
            barrier.wait()
            results.append(jobs.job_confirm_preview(user=user, preview_pk=preview.pk, kind=name))
        except Exception as exc:  # noqa: BLE001 - the test reports what happened
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    commits = Job.objects.filter(kind=name, params__dry_run=False)
    assert commits.count() == 1, results
    assert all(r == commits.get() or isinstance(r, jobs.PreviewNotConfirmable) for r in results)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_shows_while_an_import_holds_its_transaction(postgres_only, kind, settings):
    from tests.factories import UserFactory

    seen = []

    def importing(job, report):
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).exists()  # the import's own work, in its transaction
            report(40, "正在写入")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                progress = _read_from_another_connection(job.pk)
                if progress == 40:
                    seen.append(progress)
                    break
                time.sleep(0.1)

    name = kind("test-progress", importing)
    job = Job.objects.create(kind=name, created_by=UserFactory(is_superuser=True))
    jobs.job_run(job.pk)
    assert seen == [40]
    assert Job.objects.get(pk=job.pk).status == Job.Status.SUCCEEDED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_running_job_beats(postgres_only, kind, settings):
    from tests.factories import UserFactory

    settings.JOB_HEARTBEAT_SECONDS = 1
    beats = []

    def working(job, report):
        started = Job.objects.get(pk=job.pk).heartbeat_at
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            if Job.objects.get(pk=job.pk).heartbeat_at > started:
                beats.append(1)
                break
            time.sleep(0.2)

    name = kind("test-beat", working)
    job = Job.objects.create(kind=name, created_by=UserFactory(is_superuser=True))
    jobs.job_run(job.pk)
    assert beats == [1]


def _read_from_another_connection(job_id):
    result = []

    def read():
        try:
            result.append(Job.objects.get(pk=job_id).progress)
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return result[0]


def test_lost_means_no_heartbeat_on_postgresql_and_past_the_time_limit_elsewhere(settings):
    now = timezone.now()
    q = str(jobs._lost(now))
    if connection.vendor == "postgresql":
        assert "heartbeat_at" in q
    else:
        assert "started_at" in q and "heartbeat_at" not in q
    assert jobs.stale_after() == dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
