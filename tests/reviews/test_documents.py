"""讲评 documents and the results export: what a report prints (results, opinions)
and never prints (who gave an anonymous opinion, an opinion below the minimum),
who may ask for them, and an export holding the page's rows."""

import csv
import datetime as dt
import io
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from core import jobs
from core.models import Job
from reviews import documents, services
from reviews.results import round_results
from reviews.sheets import Entry, grid_save, sheet_save, tally_enter
from tests.reviews.test_results import (
    CODES,
    scores,
    world,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is not installed"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _text(data: bytes, name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)  # kept for looking at (pdftoppm)
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def scored(world):  # noqa: F811
    """The worked example's branch, scored: 甲 by the branch (with an opinion), three
    peers (each with an opinion) and a paper tally; 乙 by the branch and two peers
    (below the minimum, one opinion); then closed and computed."""
    district, round_, reviews, peers = world
    secretary = district.users["secretary"]
    grid_save(
        round_=round_,
        unit=district.branch,
        user=secretary,
        entries={
            reviews["甲"].pk: Entry(scores(20, 18, 16, 14, 12), opinion="联系群众还要加强"),
            reviews["乙"].pk: Entry(scores(20, 20, 20, 20, 20)),
            reviews["丙"].pk: Entry(scores("16.2", "16.2", "16.2", "16.2", "16.2")),
        },
        submit=True,
    )
    for user, each, text in zip(
        peers, (20, 15, 10), ("带头作用明显", "学习笔记认真", "希望多参加志愿服务"), strict=True
    ):
        sheet_save(
            review=reviews["甲"],
            user=user,
            evaluator="peer",
            entry=Entry(scores(*[each] * 5), opinion=text),
            submit=True,
        )
    tally_enter(
        review=reviews["甲"],
        user=secretary,
        evaluator="public",
        ballots=10,
        totals=dict.fromkeys(CODES, 180),
    )
    sheet_save(
        review=reviews["乙"],
        user=peers[0],
        evaluator="peer",
        entry=Entry(scores(*[10] * 5), opinion="只有两人评议时不应看到"),
        submit=True,
    )
    sheet_save(
        review=reviews["乙"],
        user=peers[1],
        evaluator="peer",
        entry=Entry(scores(*[10] * 5)),
        submit=True,
    )
    round_ = services.round_close(round_=round_, user=district.users["committee"])
    round_results(round_)
    return district, round_, reviews, peers


def _start(client, capture, url, data=None):
    with capture(execute=True):
        response = client.post(url, data or {})
    assert response.status_code == 302, response.status_code
    job = Job.objects.order_by("-pk").first()
    assert response["Location"] == reverse("core:job_detail", kwargs={"pk": job.pk})
    return job


def _download(client, job) -> bytes:
    response = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def report_url(round_, organization):
    return reverse(
        "reviews:report_start", kwargs={"pk": round_.pk, "organization_pk": organization.pk}
    )


@needs_poppler
def test_the_branch_report_prints_results_and_opinions_but_no_anonymous_evaluator(
    scored, login, django_capture_on_commit_callbacks
):
    district, round_, reviews, peers = scored
    client = login(district.users["committee"])
    started = time.monotonic()
    job = _start(client, django_capture_on_commit_callbacks, report_url(round_, district.branch))
    elapsed = time.monotonic() - started
    assert job.status == Job.Status.SUCCEEDED, job.error
    text = _text(_download(client, job), "review-report.pdf")
    print(f"one branch report: {elapsed:.2f} s")  # noqa: T201 (measured, shown with -s)
    compact = "".join(text.split())
    assert "第一党支部" in compact and "2010年第四季度党员民主评议讲评报告" in compact
    # 甲's composite and grade, 乙's renormalised 100, the shared rank.
    assert "甲81.00合格" in compact and "乙100.00优秀" in compact
    assert "75.00" in compact and "人数不足" in compact
    # The branch's signed opinion, the peers' unsigned ones.
    assert "支部评议（第一党支部）：联系群众还要加强" in compact
    for opinion in ("带头作用明显", "学习笔记认真", "希望多参加志愿服务"):
        assert f"党员互评：{opinion}" in compact
    assert "只有两人评议时不应看到" not in compact  # 乙 had two peers, below the minimum
    for peer in peers:
        assert peer.username not in text
    # Issued by the round's organisation (the community runs it).
    assert job.result["document_number"] in text
    assert district.community.name in compact


@needs_poppler
def test_a_dianping_report_names_the_leader_and_the_units_result(
    district, campaign, login, django_capture_on_commit_callbacks
):
    from reviews.models import Review, ReviewKind

    kind = ReviewKind.objects.get(campaign=campaign, name="党（工）委季度点评")
    committee = district.users["committee"]
    round_ = services.round_open(
        round_=services.round_create(
            user=committee,
            campaign=campaign,
            kind=kind,
            organization=district.street,
            period="2010年第四季度",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        ),
        user=committee,
    )
    community = Review.objects.get(round=round_, organization=district.community)
    grid_save(
        round_=round_,
        unit=district.street,
        user=committee,
        entries={community.pk: Entry({}, grade="好", opinion="党员服务站作用明显")},
        submit=True,
    )
    round_ = services.round_close(round_=round_, user=committee)
    round_results(round_)
    client = login(committee)
    job = _start(client, django_capture_on_commit_callbacks, report_url(round_, district.community))
    assert job.status == Job.Status.SUCCEEDED, job.error
    compact = "".join(_text(_download(client, job), "review-report-dianping.pdf").split())
    assert "综合得分95.00分，等次为好" in compact
    assert "领导点评（committee）：党员服务站作用明显" in compact


def test_outside_the_scope_is_a_404_and_a_job_outside_it_fails_in_chinese(
    scored, login, django_capture_on_commit_callbacks
):
    district, round_, reviews, _ = scored
    # Closed, not published: the secretary reads none of it yet.
    secretary = login(district.users["secretary"])
    assert secretary.post(report_url(round_, district.branch)).status_code == 404
    zip_url = reverse("reviews:reports_zip_start", kwargs={"pk": round_.pk})
    assert secretary.post(zip_url).status_code == 404
    export = reverse("reviews:export_start", kwargs={"pk": round_.pk, "fmt": "csv"})
    assert secretary.post(export).status_code == 404
    assert not Job.objects.exists()
    # The committee reads it, but a unit with no results in the round is a 404 too.
    committee = login(district.users["committee"])
    assert committee.post(report_url(round_, district.far_branch)).status_code == 404
    # A job asked for by hand (or whose grant went away before it ran) fails, saying why.
    job = jobs.job_start(
        kind=documents.REPORT,
        user=district.users["secretary"],
        params={"round": round_.pk, "organization": district.branch.pk},
    )
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "评议轮次不存在，或其结果尚未公布、不在您可查看的范围内"
    job = jobs.job_start(
        kind=documents.REPORT,
        user=district.users["committee"],
        params={"round": round_.pk, "organization": district.far_branch.pk},
    )
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error == "该党组织不在您可查看的评议结果范围内"


def test_a_report_download_stops_once_the_reader_may_no_longer_read_it(
    scored, login, django_capture_on_commit_callbacks
):
    district, round_, _, _ = scored
    services.round_publish(round_=round_, user=district.users["committee"])
    secretary = district.users["secretary"]
    client = login(secretary)
    job = _start(client, django_capture_on_commit_callbacks, report_url(round_, district.branch))
    assert job.status == Job.Status.SUCCEEDED, job.error
    url = reverse("core:job_download", kwargs={"pk": job.pk})
    assert client.get(url).status_code == 200
    secretary.role_grants.all().delete()
    assert client.get(url).status_code == 404


def _page_rows(client, round_, query=""):
    """The results page's rows: (subject, composite) in the page's order."""
    import re

    page = client.get(reverse("reviews:results", kwargs={"pk": round_.pk}) + query)
    html = page.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(
        r'<td class="primary"><a [^>]*>(.*?)</a></td>.*?data-label="综合得分">(.*?)</td>',
        body,
        re.S,
    )


@pytest.mark.parametrize("query", ["", "?grade=合格"])
def test_the_export_holds_the_pages_rows(scored, login, django_capture_on_commit_callbacks, query):
    district, round_, _, _ = scored
    client = login(district.users["committee"])
    shown = _page_rows(client, round_, query)
    assert shown
    data = {"grade": "合格"} if query else {}
    url = reverse("reviews:export_start", kwargs={"pk": round_.pk, "fmt": "csv"})
    job = _start(client, django_capture_on_commit_callbacks, url, data)
    assert job.status == Job.Status.SUCCEEDED, job.error
    content = _download(client, job).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [(r["评议对象"], r["综合得分"] or "—") for r in rows] == shown
    assert job.result["rows"] == len(shown)
    # No single score and no evaluator is in the file: only the stored means.
    assert "peer0" not in content and "党员互评（权重40）" in rows[0]


def test_the_export_neutralises_formulas(scored, login, django_capture_on_commit_callbacks):
    from orgs.models import Member

    district, round_, reviews, _ = scored
    Member.objects.filter(pk=reviews["甲"].member_id).update(name="=HYPERLINK(1)")
    client = login(district.users["committee"])
    url = reverse("reviews:export_start", kwargs={"pk": round_.pk, "fmt": "csv"})
    job = _start(client, django_capture_on_commit_callbacks, url)
    content = _download(client, job).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in content


def test_the_zip_holds_a_report_per_organisation_with_results(
    scored, login, django_capture_on_commit_callbacks, settings
):
    district, round_, _, _ = scored
    client = login(district.users["committee"])
    url = reverse("reviews:reports_zip_start", kwargs={"pk": round_.pk})
    job = _start(client, django_capture_on_commit_callbacks, url)
    assert job.status == Job.Status.SUCCEEDED, job.error
    archive = zipfile.ZipFile(io.BytesIO(_download(client, job)))
    # Both branches of the community have members in the round.
    assert sorted(archive.namelist()) == [
        f"讲评报告-{district.branch.code}.pdf",
        f"讲评报告-{district.sibling.code}.pdf",
    ]
    assert all(archive.read(n).startswith(b"%PDF-") for n in archive.namelist())
    assert job.result["files"] == 2
    # Bounded: more organisations than a job may render is refused, saying so.
    settings.REVIEW_REPORTS_MAX_FILES = 1
    job = _start(client, django_capture_on_commit_callbacks, url)
    assert job.status == Job.Status.FAILED
    assert "超过一次最多 1 份" in job.error
