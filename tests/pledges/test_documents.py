"""Pledge documents: the 公示栏 poster and the 承诺汇总表, made by jobs, fetched by no one."""

import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.urls import reverse

from core import jobs
from core.models import Job
from pledges import services
from tests.conftest import use_broker
from tests.factories import items, published

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is not installed"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _text(data: bytes, tmp_path: Path, name: str = "doc.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / name)  # kept for looking at (pdftoppm)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _request(client, kind, organization, capture):
    with capture(execute=True):
        response = client.post(
            reverse(
                "pledges:document_start", kwargs={"kind": kind, "organization_pk": organization.pk}
            )
        )
    assert response.status_code == 302
    return Job.objects.order_by("-pk").first()


def _download(client, job) -> bytes:
    response = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@needs_poppler
def test_the_poster_names_the_organisation_and_its_pledges(
    district, campaign, login, django_capture_on_commit_callbacks, tmp_path
):
    published(district, campaign, texts=("建成党员服务站",))
    published(district, campaign, member=district.member, texts=("每月走访两户困难群众",))
    client = login(district.users["secretary"])
    job = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.SUCCEEDED, job.error
    text = _text(_download(client, job), tmp_path, "pledge-poster.pdf")
    assert district.branch.name in text
    assert "建成党员服务站" in text and "每月走访两户困难群众" in text
    assert district.member.name in text
    assert f"/gongshi/{district.branch.code}/" in text  # the address under the QR code


@needs_poppler
def test_the_summary_groups_every_published_pledge_of_the_subtree(
    district, campaign, login, django_capture_on_commit_callbacks, tmp_path
):
    published(district, campaign, member=district.member, texts=("第一支部党员承诺",))
    published(district, campaign, member=district.sibling_member, texts=("第二支部党员承诺",))
    published(district, campaign, member=district.far_member, texts=("另一街道的承诺",))
    draft = services.pledge_create(
        campaign=campaign,
        user=district.users["secretary"],
        organization=district.branch,
        audience="parent",
        items=items("尚未公示的草稿"),
    )
    assert draft.state == "draft"
    client = login(district.users["committee"])
    job = _request(client, "summary", district.community, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["pledges"] == 2
    text = _text(_download(client, job), tmp_path, "pledge-summary.pdf")
    assert "第一支部党员承诺" in text and "第二支部党员承诺" in text
    assert district.branch.name in text and district.sibling.name in text
    assert "另一街道的承诺" not in text and "尚未公示的草稿" not in text


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        _Recorder.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@needs_poppler
def test_urls_in_pledge_text_are_printed_not_fetched(
    district, campaign, login, django_capture_on_commit_callbacks, tmp_path
):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.hits = []
    port = server.server_address[1]
    try:
        published(
            district,
            campaign,
            member=district.member,
            texts=(
                f'<img src="http://127.0.0.1:{port}/spy.png">',
                '<img src="file:///etc/passwd">',
            ),
        )
        client = login(district.users["secretary"])
        job = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
    finally:
        server.shutdown()
    assert job.status == Job.Status.SUCCEEDED, job.error
    text = _text(_download(client, job), tmp_path)
    assert _Recorder.hits == []
    assert "root:x:0:0" not in text
    assert "file:///etc/passwd" in text  # shown as the text the member typed


def test_asking_twice_while_waiting_gives_the_same_job(district, campaign, login):
    client = login(district.users["secretary"])
    url = reverse(
        "pledges:document_start", kwargs={"kind": "poster", "organization_pk": district.branch.pk}
    )
    client.post(url)  # the on-commit enqueue never runs here: the job stays queued
    client.post(url)
    assert Job.objects.filter(kind="pledge_poster").count() == 1


def test_a_job_run_twice_leaves_one_file(district, campaign, login, settings):
    published(district, campaign, member=district.member)
    client = login(district.users["secretary"])
    client.post(
        reverse(
            "pledges:document_start",
            kwargs={"kind": "poster", "organization_pk": district.branch.pk},
        )
    )
    job = Job.objects.get(kind="pledge_poster")
    jobs.job_run(job.pk)
    first = Job.objects.get(pk=job.pk).output_file.name
    # As if the worker died after writing and the task was delivered again.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    files = list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    assert len(files) == 1 and files[0].name == Path(first).name


def test_a_document_outside_the_users_scope_is_refused(district, campaign, login):
    client = login(district.users["sibling_secretary"])
    response = client.post(
        reverse(
            "pledges:document_start",
            kwargs={"kind": "summary", "organization_pk": district.branch.pk},
        )
    )
    assert response.status_code == 404 and not Job.objects.exists()


def test_a_download_stops_when_the_grant_is_gone(
    district, campaign, login, django_capture_on_commit_callbacks
):
    published(district, campaign, member=district.member)
    secretary = district.users["secretary"]
    client = login(secretary)
    job = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.SUCCEEDED
    secretary.role_grants.all().delete()
    response = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    assert response.status_code == 404


def test_with_the_broker_down_asking_for_a_document_answers_at_once(
    district, campaign, login, django_capture_on_commit_callbacks
):
    from config.celery import app

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    use_broker(app, broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    client = login(district.users["secretary"])
    try:
        started = time.monotonic()
        job = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
        elapsed = time.monotonic() - started
    finally:
        use_broker(app, **saved)
    assert elapsed < 8
    assert job.status == Job.Status.QUEUED and "队列恢复后自动执行" in job.message
    page = client.get(reverse("core:job_detail", kwargs={"pk": job.pk})).content.decode()
    assert "等待中" in page


@pytest.mark.celery_worker
def test_a_poster_job_runs_end_to_end_on_a_real_worker(celery_worker_on_redis, login):
    import datetime as dt

    from campaign.models import Campaign
    from tests.factories import make_district

    # A transactional test starts without the migrations' seeded sectors, which
    # the seed campaigns need: a plain campaign is enough here.
    district = make_district()
    campaign = Campaign.objects.create(
        organization=district.root,
        name="创先争优活动",
        status=Campaign.Status.ACTIVE,
        start_date=dt.date(2010, 5, 1),
        end_date=dt.date(2012, 11, 7),
    )
    published(district, campaign, member=district.member, texts=("在真实的后台进程中生成",))
    client = login(district.users["secretary"])
    client.post(
        reverse(
            "pledges:document_start",
            kwargs={"kind": "poster", "organization_pk": district.branch.pk},
        )
    )
    job = Job.objects.get(kind="pledge_poster")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert job.status == Job.Status.SUCCEEDED, (job.status, job.message, job.error)
    assert _download(client, job).startswith(b"%PDF-")


def test_a_large_summary_comes_in_parts_that_together_hold_every_pledge(
    district, campaign, login, django_capture_on_commit_callbacks, settings, tmp_path
):
    import io
    import zipfile

    from pledges.jobs import summary_parts

    settings.PDF_SUMMARY_MAX_PLEDGES = 2
    published(district, campaign, texts=("支部一的承诺",))
    published(district, campaign, member=district.member, texts=("党员甲",))
    published(district, campaign, member=district.sibling_member, texts=("党员乙",))
    published(district, campaign, member=district.far_member, texts=("党员丙",))
    parts = summary_parts(district.root, campaign, 2)
    assert len(parts) == 2
    assert parts[0].start == district.root.lft and parts[-1].stop == district.root.rght + 1
    client = login(district.users["office"])
    job = _request(client, "summary", district.root, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["parts"] == 2 and job.result["pledges"] == 4
    archive = zipfile.ZipFile(io.BytesIO(_download(client, job)))
    names = sorted(archive.namelist())
    assert names == [
        f"承诺汇总表-{district.root.code}-01.pdf",
        f"承诺汇总表-{district.root.code}-02.pdf",
    ]
    assert all(archive.read(n).startswith(b"%PDF-") for n in names)
    if shutil.which("pdftotext"):
        text = "".join(_text(archive.read(n), tmp_path, n) for n in names)
        for pledge_text in ("支部一的承诺", "党员甲", "党员乙", "党员丙"):
            assert text.count(pledge_text) == 1, pledge_text
