"""整改 pages: entering an item by hand, 开整改 from a spot check's page, the moves
with evidence through the forms (a renamed program refused in Chinese), the
list's filters, 待办 for the owner and the parent, the dashboard's links, the
export and the 整改台账 PDF."""

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Job
from reviews import rectify
from reviews.models_rectify import Rectification
from reviews.models_spotcheck import SpotCheck
from reviews.spotcheck import spot_check_draw, spot_check_save

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
needs_poppler = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is not installed"
)
TODAY = dt.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(rectify.timezone, "localdate", lambda *a: TODAY)


def item_for(district, campaign, unit=None, *, due=dt.date(2026, 12, 31), text="更新公示栏"):
    unit = unit or district.branch
    above = "office" if unit == district.far_branch else "committee"
    return rectify.rectification_open(
        user=district.users[above],
        campaign=campaign,
        organization=unit,
        description=text,
        due_on=due,
        source_kind=Rectification.SourceKind.REVIEW_OPINION,
        source_text="群众反映公示栏内容陈旧",
    )


def test_the_branch_enters_an_item_by_hand(district, campaign, login):
    client = login(district.users["secretary"])
    url = reverse("reviews:rectify_new")
    page = client.get(url).content.decode()
    assert "第一党支部" in page and "第二党支部" not in page  # only units it edits
    bad = client.post(url, {"campaign": campaign.pk, "organization": district.branch.pk})
    assert bad.status_code == 400 and not Rectification.objects.exists()
    response = client.post(
        url,
        {
            "campaign": campaign.pk,
            "organization": district.branch.pk,
            "description": "党员活动室制度上墙",
            "due_on": "2026-12-20",
        },
    )
    item = Rectification.objects.get()
    assert response["Location"] == reverse("reviews:rectify_detail", kwargs={"pk": item.pk})
    assert item.source_kind == "manual" and item.state == "pending"


def test_the_moves_through_the_pages_with_evidence_and_the_history_names_them(
    district, campaign, login
):
    item = item_for(district, campaign)
    url = reverse("reviews:rectify_detail", kwargs={"pk": item.pk})
    secretary = login(district.users["secretary"])
    assert "开始整改" in secretary.get(url).content.decode()
    secretary.post(reverse("reviews:rectify_start", kwargs={"pk": item.pk}))
    # A program renamed as .pdf: refused with its name, nothing kept, not completed.
    exe = SimpleUploadedFile("整改报告.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    page = secretary.post(
        reverse("reviews:rectify_evidence", kwargs={"pk": item.pk}),
        {"evidence": "已更新", "evidence_files": [exe], "complete": "1"},
        follow=True,
    ).content.decode()
    assert "佐证材料只接受 PDF、DOCX、PNG、JPG 文件，“整改报告.pdf”的内容不是其中一种" in page
    item.refresh_from_db()
    assert item.state == "in_progress" and item.evidence == "" and not item.files.exists()
    pdf = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4\n%%EOF\n")
    page = secretary.post(
        reverse("reviews:rectify_evidence", kwargs={"pk": item.pk}),
        {"evidence": "已更新公示栏内容", "evidence_files": [pdf], "complete": "1"},
        follow=True,
    ).content.decode()
    assert "已报告整改完成，等待上级核验" in page
    item.refresh_from_db()
    assert item.state == "done" and item.files.count() == 1
    download = secretary.get(reverse("reviews:rectify_file", kwargs={"pk": item.files.get().pk}))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    committee = login(district.users["committee"])
    refused = committee.post(
        reverse("reviews:rectify_redo", kwargs={"pk": item.pk}), {"reason": ""}, follow=True
    )
    assert "重新整改理由" in refused.content.decode()
    committee.post(reverse("reviews:rectify_redo", kwargs={"pk": item.pk}), {"reason": "照片不清"})
    item.refresh_from_db()
    assert item.state == "in_progress" and item.redo_count == 1
    secretary.post(reverse("reviews:rectify_complete", kwargs={"pk": item.pk}))
    committee.post(reverse("reviews:rectify_verify", kwargs={"pk": item.pk}))
    item.refresh_from_db()
    assert item.state == "verified"
    page = committee.get(url).content.decode()
    for label in ("开始整改", "整改完成", "重新整改", "核验"):
        assert f"<strong>{label}</strong>" in page, label
    assert "照片不清" in page and "整改报告.pdf" in page


def test_a_sibling_gets_404_for_the_item_its_file_and_its_moves(district, campaign, login):
    item = item_for(district, campaign)
    client = login(district.users["sibling_secretary"])
    assert client.get(reverse("reviews:rectify_detail", kwargs={"pk": item.pk})).status_code == 404
    assert client.post(reverse("reviews:rectify_start", kwargs={"pk": item.pk})).status_code == 404
    listing = client.get(reverse("reviews:rectify_list")).content.decode()
    assert "更新公示栏" not in listing
    item.refresh_from_db()
    assert item.state == "pending"


def test_the_list_filters_by_state_overdue_source_and_child(district, campaign, login):
    item_for(district, campaign, text="按期事项")
    item_for(district, campaign, due=dt.date(2026, 11, 30), text="逾期事项")
    item_for(district, campaign, district.far_branch, text="远方事项")
    client = login(district.users["office"])
    url = reverse("reviews:rectify_list")

    def shown(**query):
        page = client.get(url, query).content.decode()
        return {t for t in ("按期事项", "逾期事项", "远方事项") if t in page}

    assert shown() == {"按期事项", "逾期事项", "远方事项"}
    assert shown(overdue="1") == {"逾期事项"}  # computed: the job has not run yet
    assert shown(overdue="0") == {"按期事项", "远方事项"}
    assert shown(organization=district.street2.pk) == {"远方事项"}
    assert shown(state="done") == set()
    assert shown(source="manual") == set()
    assert "已逾期" in client.get(url, {"overdue": "1"}).content.decode()
    # The committee of the first street does not see the far branch's item.
    page = login(district.users["committee"]).get(url).content.decode()
    assert "远方事项" not in page and "逾期事项" in page


def todo_lines(client):
    import re

    page = client.get(reverse("home")).content.decode()
    card = re.search(r'<section class="card todo">(.*?)</section>', page, re.S)
    return (
        dict(re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', card.group(1))) if card else {}
    )


def test_overdue_items_show_on_the_owners_and_the_parents_todo(district, campaign, login):
    item_for(district, campaign, due=dt.date(2026, 11, 30), text="逾期事项")
    done = item_for(district, campaign, district.sibling, text="已完成事项")
    done = rectify.rectification_start(item=done, user=district.users["sibling_secretary"])
    rectify.rectification_complete(
        item=done, user=district.users["sibling_secretary"], evidence="x"
    )
    secretary = {v: k for k, v in todo_lines(login(district.users["secretary"])).items()}
    assert {"第一党支部：整改事项待落实 1 项", "第一党支部：整改事项已逾期 1 项"} <= set(secretary)
    page = login(district.users["secretary"]).get(secretary["第一党支部：整改事项已逾期 1 项"])
    assert "逾期事项" in page.content.decode()
    client = login(district.users["committee"])
    committee = {v: k for k, v in todo_lines(client).items()}
    assert "下级整改事项逾期 1 项" in committee and "整改事项待核验 1 项" in committee
    page = client.get(committee["整改事项待核验 1 项"]).content.decode()
    assert "已完成事项" in page and "逾期事项" not in page
    page = client.get(committee["下级整改事项逾期 1 项"]).content.decode()
    assert "逾期事项" in page and "已完成事项" not in page
    sibling = todo_lines(login(district.users["sibling_secretary"])).values()
    assert not [line for line in sibling if "整改" in line]  # done: waits for the parent


def test_the_dashboard_links_the_open_and_overdue_items(district, campaign, login):
    item_for(district, campaign, due=dt.date(2026, 11, 30))
    client = login(district.users["committee"])
    page = client.get(reverse("campaign:dashboard", kwargs={"pk": district.street.pk}))
    text = page.content.decode()
    assert "整改" in text and "已逾期 1 项" in text and "未完成 1 项" in text


def test_open_from_a_spot_check_page_and_the_page_links_the_item(district, campaign, login):
    office = district.users["office"]
    round_ = spot_check_draw(
        user=office, campaign=campaign, organization=district.street, title="抽查", percent=100
    )
    check = SpotCheck.objects.get(round=round_, organization=district.branch)
    values = {n: getattr(check, n) for n in ("plan_filed", "pledges_public", "meeting_held")}
    spot_check_save(
        check=check,
        user=office,
        values=values | {"satisfaction": None, "findings": "讲评会记录不完整"},
        done=True,
    )
    client = login(office)
    check_url = reverse(
        "reviews:spotcheck_check", kwargs={"pk": round_.pk, "organization_pk": district.branch.pk}
    )
    open_url = reverse("reviews:rectify_open", kwargs={"kind": "spot_check", "source_id": check.pk})
    assert open_url in client.get(check_url).content.decode()
    page = client.get(open_url).content.decode()
    assert "讲评会记录不完整" in page and "向第一党支部交办整改" in page
    response = client.post(open_url, {"description": "补齐讲评会记录", "due_on": "2026-12-25"})
    item = Rectification.objects.get()
    assert response["Location"] == reverse("reviews:rectify_detail", kwargs={"pk": item.pk})
    check.refresh_from_db()
    assert check.rectification_id == item.pk
    page = client.get(check_url).content.decode()
    assert reverse("reviews:rectify_detail", kwargs={"pk": item.pk}) in page
    detail = client.get(response["Location"]).content.decode()
    assert f'href="{check_url}"' in detail  # links back to its source
    # The branch cannot open one from the office's spot check.
    assert login(district.users["secretary"]).get(open_url).status_code == 404


def test_the_export_lists_the_filtered_items(
    district, campaign, login, django_capture_on_commit_callbacks
):
    item_for(district, campaign, due=dt.date(2026, 11, 30), text="逾期事项")
    item_for(district, campaign, text="按期事项")
    client = login(district.users["committee"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:rectify_export", kwargs={"fmt": "csv"}), {"overdue": "1"})
    job = Job.objects.get(kind="rectification_export")
    assert job.status == Job.Status.SUCCEEDED, job.error
    data = b"".join(
        client.get(reverse("core:job_download", kwargs={"pk": job.pk})).streaming_content
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["整改单位", "组织代码", "领域"]
    assert [r[5] for r in rows[1:]] == ["逾期事项"] and rows[1][8] == "是"
    assert (
        login(district.users["sibling_secretary"])
        .get(reverse("core:job_download", kwargs={"pk": job.pk}))
        .status_code
        == 404
    )


@needs_poppler
def test_the_ledger_pdf_prints_the_units_items(
    district, campaign, login, django_capture_on_commit_callbacks
):
    item_for(district, campaign, due=dt.date(2026, 11, 30), text="公示栏内容陈旧须更新")
    item_for(district, campaign, district.sibling, text="党员活动室制度上墙")
    item_for(district, campaign, district.far_branch, text="远方事项")
    client = login(district.users["committee"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:rectify_ledger", kwargs={"organization_pk": district.community.pk})
        )
    job = Job.objects.get(kind="rectification_ledger")
    assert response["Location"] == reverse("core:job_detail", kwargs={"pk": job.pk})
    assert job.status == Job.Status.SUCCEEDED, job.error
    data = b"".join(
        client.get(reverse("core:job_download", kwargs={"pk": job.pk})).streaming_content
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "rectification-ledger.pdf").write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    compact = "".join(text.split())
    assert "第一社区党委整改台账" in compact
    assert "公示栏内容陈旧须更新" in compact and "党员活动室制度上墙" in compact
    assert "远方事项" not in compact
    assert "共有整改事项2项" in compact and "逾期未完成1项" in compact
    assert job.result["document_number"] in text
    outsider = login(district.users["sibling_secretary"])
    assert outsider.get(reverse("core:job_download", kwargs={"pk": job.pk})).status_code == 404


def _commented_review(district, campaign):
    """A closed 党（工）委季度点评 on the street with a leader's comment and a
    parent's opinion on the community (both kinds shown in its breakdown)."""
    from reviews.models import Review, ReviewKind, ReviewRound, ScoreSheet
    from reviews.services import round_create, round_open

    committee = district.users["committee"]
    round_ = round_open(
        round_=round_create(
            user=committee,
            campaign=campaign,
            kind=ReviewKind.objects.get(campaign=campaign, name="党（工）委季度点评"),
            organization=district.street,
            period="2010年第三季度",
            opens_on=dt.date(2010, 9, 1),
            closes_on=dt.date(2010, 9, 30),
        ),
        user=committee,
    )
    review = Review.objects.get(round=round_, organization=district.community)
    ScoreSheet.objects.create(
        review=review,
        evaluator="leader",
        evaluator_key=f"u{committee.pk}",
        opinion="联系群众不够经常",
        state="submitted",
    )
    evaluators = set(round_.kind.evaluators.values_list("evaluator", flat=True))
    Review.objects.filter(pk=review.pk).update(
        breakdown={e: {"shown": True, "n": 1, "mean": "80"} for e in evaluators}
    )
    ReviewRound.objects.filter(pk=round_.pk).update(state="closed")
    return review


def test_open_from_a_subjects_comments_and_the_subject_page_lists_it(district, campaign, login):
    review = _commented_review(district, campaign)
    client = login(district.users["committee"])
    subject_url = reverse("reviews:subject", kwargs={"review_pk": review.pk})
    open_url = reverse(
        "reviews:rectify_open", kwargs={"kind": "leader_comment", "source_id": review.pk}
    )
    page = client.get(subject_url).content.decode()
    assert open_url in page and "据领导点评开整改" in page
    assert "联系群众不够经常" in client.get(open_url).content.decode()
    client.post(open_url, {"description": "建立联系群众制度", "due_on": "2026-12-31"})
    item = Rectification.objects.get()
    assert item.organization == district.community and item.review_round_id == review.round_id
    assert item.source_kind == "leader_comment" and "联系群众不够经常" in item.source_text
    assert (
        reverse("reviews:rectify_detail", kwargs={"pk": item.pk})
        in client.get(subject_url).content.decode()
    )
    detail = client.get(reverse("reviews:rectify_detail", kwargs={"pk": item.pk}))
    assert f'href="{subject_url}"' in detail.content.decode()
    # No 评议意见 other than the 点评: that source says so instead of opening an empty item.
    other = reverse(
        "reviews:rectify_open", kwargs={"kind": "review_opinion", "source_id": review.pk}
    )
    page = client.get(other, follow=True).content.decode()
    assert "没有可据以整改的评议意见" in page
    # A contact-point leader reads the community but assigns it nothing.
    assert login(district.users["contact_leader"]).get(open_url).status_code in (403, 404)
