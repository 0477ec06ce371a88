"""Background jobs: run once, survive a second delivery, wait when the broker is down."""

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.models import Job
from tests.conftest import use_broker


@pytest.fixture
def counting_job_kind():
    calls = []

    @jobs.register("test-count")
    def handler(job, report):
        calls.append(job.pk)
        report(50, "half way")

    yield calls
    jobs._kinds.pop("test-count", None)


@pytest.mark.django_db
def test_a_job_runs_once_even_if_delivered_twice(
    counting_job_kind, district, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind="test-count", user=district.users["office"])
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.progress == 100
    jobs.job_run(job.pk)  # a redelivery
    assert counting_job_kind == [job.pk]


@pytest.mark.django_db
def test_without_a_broker_a_job_runs_inline_and_kombu_has_nothing_to_warn_about(
    counting_job_kind, district, django_capture_on_commit_callbacks, caplog
):
    # Celery 5.7 takes an eager task's producer from the pool: with a bare
    # "memory://" every job logged kombu's "No hostname was supplied" (issue 13).
    from config.celery import app

    assert app.conf.task_always_eager
    with (
        caplog.at_level("WARNING", logger="kombu"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = jobs.job_start(kind="test-count", user=district.users["office"])
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert not [r for r in caplog.records if r.name.startswith("kombu")], caplog.text


@pytest.mark.django_db
def test_a_failing_job_ends_failed_with_a_visible_message(
    district, django_capture_on_commit_callbacks
):
    @jobs.register("test-fail")
    def handler(job, report):
        raise jobs.JobError("文件中有 3 处错误")

    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = jobs.job_start(kind="test-fail", user=district.users["office"])
    finally:
        jobs._kinds.pop("test-fail")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error == "文件中有 3 处错误"


def lost_ago(settings) -> dt.datetime:
    """A time old enough for a running job to count as lost on either database
    (no heartbeat for JOB_LOST_AFTER_SECONDS, or past the time limit on SQLite)."""
    seconds = max(settings.JOB_LOST_AFTER_SECONDS, jobs.stale_after().total_seconds())
    return timezone.now() - dt.timedelta(seconds=seconds + 60)


@pytest.mark.django_db
def test_a_job_left_running_by_a_dead_worker_is_picked_up_again(
    counting_job_kind, district, settings
):
    job = Job.objects.create(
        kind="test-count", status=Job.Status.RUNNING, created_by=district.users["office"]
    )
    Job.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=5), heartbeat_at=timezone.now()
    )
    jobs.job_run(job.pk)
    assert counting_job_kind == []  # it is beating: its worker is alive
    Job.objects.filter(pk=job.pk).update(started_at=lost_ago(settings), heartbeat_at=None)
    assert jobs.jobs_sweep() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 1
    assert counting_job_kind == [job.pk]


@pytest.mark.django_db
def test_with_the_broker_down_a_request_answers_at_once_and_the_job_waits(
    district, login, django_capture_on_commit_callbacks
):
    from config.celery import app

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    use_broker(app, broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    try:
        client = login(district.users["committee"])
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("orgs:export", kwargs={"target": "members", "fmt": "csv"})
            )
        elapsed = time.monotonic() - started
    finally:
        use_broker(app, **saved)
    assert response.status_code == 302
    assert elapsed < 8
    job = Job.objects.get()
    assert job.status == Job.Status.QUEUED, (job.status, job.message, job.error)
    assert "队列恢复后自动执行" in job.message
    page = client.get(response["Location"])
    assert "等待中" in page.content.decode() and "队列恢复后自动执行" in page.content.decode()
    # Once the broker is back (here: tasks inline again) the sweeper runs it.
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert jobs.jobs_sweep() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.output_file


@pytest.mark.celery_worker
def test_an_export_job_runs_end_to_end_on_a_real_worker(celery_worker_on_redis, login):
    from tests.factories import make_district

    district = make_district()
    client = login(district.users["committee"])
    response = client.post(reverse("orgs:export", kwargs={"target": "members", "fmt": "csv"}))
    job = Job.objects.get()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert job.status == Job.Status.SUCCEEDED, (job.status, job.message, job.error)
    download = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    content = b"".join(download.streaming_content).decode("utf-8-sig")
    assert district.member.number in content and district.far_member.number not in content
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_job_whose_starter_lost_the_right_fails_before_its_handler_runs(
    district, django_capture_on_commit_callbacks
):
    calls = []

    @jobs.register("test-guarded", "受限任务", allowed=lambda user: user.is_superuser)
    def handler(job, report):
        calls.append(job.pk)

    try:
        with django_capture_on_commit_callbacks(execute=True):
            refused = jobs.job_start(kind="test-guarded", user=district.users["office"])
            allowed = jobs.job_start(kind="test-guarded", user=district.users["admin"])
    finally:
        jobs._kinds.pop("test-guarded")
    refused.refresh_from_db()
    allowed.refresh_from_db()
    assert refused.status == Job.Status.FAILED and refused.error == "您没有受限任务权限"
    assert allowed.status == Job.Status.SUCCEEDED and calls == [allowed.pk]


# ---- who may have a job's file ----------------------------------------------


@pytest.mark.django_db
def test_a_file_of_a_kind_that_declares_no_reach_is_never_handed_out(district, login):
    from django.core.files.base import ContentFile

    @jobs.register("test-unscoped", "无范围的文件")
    def handler(job, report):
        pass

    @jobs.register("test-scoped", "有范围的文件", reach=lambda job, user: True)
    def scoped_handler(job, report):
        pass

    admin = district.users["admin"]
    try:
        unscoped = Job.objects.create(kind="test-unscoped", created_by=admin)
        unscoped.output_file.save("x.csv", ContentFile(b"a\n"), save=True)
        scoped = Job.objects.create(kind="test-scoped", created_by=admin)
        scoped.output_file.save("y.csv", ContentFile(b"a\n"), save=True)
        client = login(admin)
        refused = client.get(reverse("core:job_download", kwargs={"pk": unscoped.pk}))
        served = client.get(reverse("core:job_download", kwargs={"pk": scoped.pk}))
    finally:
        jobs._kinds.pop("test-unscoped")
        jobs._kinds.pop("test-scoped")
    assert refused.status_code == 404  # even for the admin: nothing says whose it is
    assert served.status_code == 200
    assert not jobs.may_download(Job(kind="no-such-kind"), admin)


@pytest.mark.django_db
def test_an_unfiltered_export_is_404_once_the_starters_grant_moves_away(
    district, login, django_capture_on_commit_callbacks
):
    from orgs.models import Role
    from tests.factories import UserFactory, grant

    staff = UserFactory()
    grant(staff, Role.COMMITTEE_STAFF, district.street)
    client = login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orgs:export", kwargs={"target": "members", "fmt": "csv"}))
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["reach"] == [district.street.pk]
    download = reverse("core:job_download", kwargs={"pk": job.pk})
    assert client.get(download).status_code == 200
    # Moved to the other street: the export right is still held, but the file is
    # about the first street's members.
    staff.role_grants.update(organization=district.street2)
    assert client.get(download).status_code == 404


@pytest.mark.django_db
def test_a_document_is_404_once_its_organisation_is_out_of_reach(district, login):
    from django.core.files.base import ContentFile

    committee = district.users["committee"]
    poster = Job.objects.create(
        kind="pledge_poster",
        created_by=committee,
        params={"organization": district.branch.pk, "campaign": 1},
    )
    poster.output_file.save("p.pdf", ContentFile(b"%PDF"), save=True)
    client = login(committee)
    download = reverse("core:job_download", kwargs={"pk": poster.pk})
    assert client.get(download).status_code == 200
    committee.role_grants.update(organization=district.street2)
    assert client.get(download).status_code == 404


@pytest.mark.django_db
def test_an_export_without_a_recorded_reach_is_refused(district, login):
    from django.core.files.base import ContentFile

    committee = district.users["committee"]
    for kind in ("export", "pledge_export"):
        job = Job.objects.create(kind=kind, created_by=committee, result={"rows": 1})
        job.output_file.save("x.csv", ContentFile(b"a\n"), save=True)
        response = login(committee).get(reverse("core:job_download", kwargs={"pk": job.pk}))
        assert response.status_code == 404, kind
