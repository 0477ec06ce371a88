"""Pledge documents: the 公示栏 poster and the 承诺汇总表, made by jobs, fetched by no one."""

import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.models import DocumentNumber, Job
from pledges import services
from tests.conftest import use_broker
from tests.factories import MemberFactory, items, published

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


def _poppler(tool: str, data: bytes, *args: str) -> str:
    return subprocess.run(
        [tool, *args, "-", "-"] if tool == "pdftotext" else [tool, *args, "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode()


def _fonts(data: bytes) -> set[str]:
    """The embedded font families, as pdffonts names them (subset tag dropped)."""
    lines = _poppler("pdffonts", data).splitlines()[2:]
    return {line.split()[0].split("+")[-1] for line in lines}


def _dark_share(data: bytes, *, page: int, box: tuple[float, float, float, float]) -> float:
    """The share of dark pixels of a box (x0, y0, x1, y1 in points) of one page."""
    pgm = subprocess.run(
        ["pdftoppm", "-gray", "-r", "72", "-f", str(page), "-l", str(page), "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    _, size, _, pixels = pgm.split(b"\n", 3)  # P5, width height, 255, the bytes
    width = int(size.split()[0])
    x0, y0, x1, y1 = (int(v) for v in box)
    dark = [pixels[y * width + x] < 128 for y in range(y0, y1) for x in range(x0, x1)]
    return sum(dark) / len(dark)


YEAR = timezone.localdate().year


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
    # The second run printed the number the first one took.
    assert DocumentNumber.objects.get().job == job
    assert job.result["document_number"] == f"第一党支部〔{YEAR}〕1号"


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


@needs_poppler
def test_a_district_document_is_issued_by_its_organisation_department_never_the_source_text(
    district, campaign, login, django_capture_on_commit_callbacks, tmp_path
):
    """The licheng fixture's 发文机关 is 中共济南市历城区委办公室: a 明湖区 document
    must carry 明湖区's own organ, 文号 and signature."""
    assert campaign.issuing_organ == "中共济南市历城区委办公室"
    type(campaign).objects.filter(pk=campaign.pk).update(name="明湖区创先争优活动")
    type(district.root).objects.filter(pk=district.root.pk).update(name="中共明湖区委员会")
    published(district, campaign, member=district.member, texts=("每月走访两户困难群众",))
    client = login(district.users["office"])
    job = _request(client, "summary", district.root, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.SUCCEEDED, job.error
    text = _text(_download(client, job), tmp_path, "district-summary.pdf")
    assert "历城" not in text
    assert text.count("中共明湖区委组织部") == 2  # 版头 and signature
    assert f"明组〔{YEAR}〕1号" in text
    assert job.result["document_number"] == f"明组〔{YEAR}〕1号"


@needs_poppler
def test_a_branch_poster_is_issued_and_numbered_by_the_branch(
    district, campaign, login, django_capture_on_commit_callbacks, tmp_path
):
    published(district, campaign, texts=("建成党员服务站",))
    client = login(district.users["secretary"])
    numbers = []
    for _ in range(2):
        job = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
        assert job.status == Job.Status.SUCCEEDED, job.error
        numbers.append(job.result["document_number"])
    assert numbers == [f"第一党支部〔{YEAR}〕1号", f"第一党支部〔{YEAR}〕2号"]
    text = _text(_download(client, job), tmp_path, "poster-numbered.pdf")
    assert f"第一党支部〔{YEAR}〕2号" in text and "中共第一党支部" in text
    assert "历城区委办公室" not in text  # (the campaign's own name still says 历城)
    # The root's summary counts on its own: another organ.
    office = login(district.users["office"])
    summary = _request(office, "summary", district.root, django_capture_on_commit_callbacks)
    assert summary.result["document_number"] == f"测组〔{YEAR}〕1号"


@needs_poppler
def test_the_poster_has_its_qr_code_on_page_1_and_no_empty_member_heading(
    district, campaign, login, django_capture_on_commit_callbacks, tmp_path
):
    published(district, campaign, texts=("建成党员服务站",))
    client = login(district.users["secretary"])
    job = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
    data = _download(client, job)
    text = _text(data, tmp_path, "poster-unit-only.pdf")
    assert "一、党组织承诺" in text and "建成党员服务站" in text
    assert "二、党员承诺" not in text

    for n in range(14):  # enough members' pledges for three pages
        member = MemberFactory(organization=district.branch, name=f"承诺党员{n}")
        published(
            district,
            campaign,
            member=member,
            texts=(f"第{n}条：带头参加社区志愿服务，全年不少于十二次", "每月走访两户困难群众"),
        )
    job = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
    data = _download(client, job)
    _text(data, tmp_path, "poster-long.pdf")
    pages = int(
        next(
            line.split()[-1]
            for line in _poppler("pdfinfo", data).splitlines()
            if line.startswith("Pages:")
        )
    )
    assert pages >= 2
    # The address printed beside the code is on page 1 …
    words = _poppler("pdftotext", data, "-bbox", "-f", "1", "-l", "1")
    url = re.search(r'yMin="([\d.]+)"[^>]*>[^<]*/gongshi/' + district.branch.code, words)
    assert url is not None
    # … and so is the code itself (vector SVG, so no image to list): the 30 mm
    # square left of the address is about half dark, where lines of text are
    # a tenth. Points from the page's top left; 订口 28 mm = 79 pt.
    top = float(url.group(1)) - 60
    assert _dark_share(data, page=1, box=(80, top, 164, top + 85)) > 0.25
    assert "二、党员承诺" in _poppler("pdftotext", data)


@needs_poppler
def test_the_documents_embed_the_gbt9704_font_of_each_role(
    district, campaign, login, django_capture_on_commit_callbacks
):
    published(district, campaign, member=district.member)
    client = login(district.users["committee"])
    summary = _request(client, "summary", district.community, django_capture_on_commit_callbacks)
    # Title (小标宋 stand-in) and body (仿宋 stand-in); the organisations' names
    # over the table are captions in the title's face, not a third font.
    assert _fonts(_download(client, summary)) == {"Noto-Serif-CJK-SC-Bold", "Noto-Serif-CJK-SC"}
    poster = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
    # The poster's 一级标题 (一、党组织承诺) in 黑体.
    assert _fonts(_download(client, poster)) == {"Noto-Serif-CJK-SC", "Noto-Sans-CJK-SC"}


def test_a_document_that_fails_burns_no_number(
    district, campaign, login, django_capture_on_commit_callbacks, monkeypatch
):
    from pledges import jobs as pledge_jobs

    published(district, campaign, member=district.member)
    client = login(district.users["secretary"])
    render = pledge_jobs.pdf.render_pdf

    def broken(*args, **kwargs):
        raise ValueError("排版失败")

    monkeypatch.setattr(pledge_jobs.pdf, "render_pdf", broken)
    failed = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
    assert failed.status == Job.Status.FAILED
    assert not DocumentNumber.objects.exists() and not failed.output_file
    monkeypatch.setattr(pledge_jobs.pdf, "render_pdf", render)
    job = _request(client, "poster", district.branch, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["document_number"] == f"第一党支部〔{YEAR}〕1号"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_posters_of_one_branch_made_at_once_are_numbered_one_to_n(postgres_only):
    """Four workers make posters of one branch at the same moment, through the
    real job (render and save inside the numbering transaction)."""
    import datetime as dt

    from django.db import connections

    from campaign.models import Campaign
    from tests.factories import make_district

    district = make_district()
    campaign = Campaign.objects.create(
        organization=district.root,
        name="创先争优活动",
        status=Campaign.Status.ACTIVE,
        start_date=dt.date(2010, 5, 1),
        end_date=dt.date(2012, 11, 7),
    )
    published(district, campaign, member=district.member)
    params = {"organization": district.branch.pk, "campaign": campaign.pk}
    started = [
        Job.objects.create(
            kind="pledge_poster", created_by=district.users["secretary"], params=params
        )
        for _ in range(4)
    ]
    barrier = threading.Barrier(len(started))

    def run(job_id):
        try:
            barrier.wait()
            jobs.job_run(job_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job.pk,)) for job in started]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = Job.objects.filter(pk__in=[job.pk for job in started])
    assert {job.status for job in done} == {Job.Status.SUCCEEDED}, [job.error for job in done]
    assert sorted(DocumentNumber.objects.values_list("serial", flat=True)) == [1, 2, 3, 4]
    assert sorted(job.result["document_number"] for job in done) == [
        f"第一党支部〔{YEAR}〕{n}号" for n in (1, 2, 3, 4)
    ]
