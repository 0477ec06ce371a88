"""The award documents as jobs over a finished round: the 表彰决定 prints the
round's 文号 and every awardee once, the certificates one page (or one file)
each, the 公示 notice and the list the listed nominees, the 上报 file the
事迹材料; each read through the starter's scope, refused before the round is
ready; the public 网上巡展 shows no private data."""

import datetime as dt
import io
import subprocess
import zipfile

import pytest
from django.urls import reverse

from awards import document_jobs, nominations, publicity
from awards.models import Nomination
from core.jobs import job_start
from core.models import Job
from tests.awards.builders import DEEDS, TODAY, award_world, in_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("awards.nominations.today", lambda: TODAY)


def _vetted(district, world, member, summary):
    made = nominations.nomination_create(
        user=district.users["secretary"],
        category=world.category,
        unit=district.branch,
        subject=member,
        summary=summary,
        deeds=DEEDS,
    )
    Nomination.objects.filter(pk=made.pk).update(state="vetted")
    return made


@pytest.fixture
def finished(district, campaign):
    world = award_world(district, campaign)
    _vetted(district, world, district.member, "带头走访群众")
    _vetted(district, world, district.own_member, "十年如一日义务巡河")
    in_publicity(world, ended=True)
    publicity.round_move(
        round_=world.round,
        verb="finalise",
        user=district.users["office"],
        decision_date=dt.date(2011, 6, 28),
    )
    world.round.refresh_from_db()
    return world


def run(kind, user, round_, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind=kind, user=user, params={"round": round_.pk, **params})
    job.refresh_from_db()
    return job


def text_of(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_the_decision_prints_its_number_date_and_every_awardee_once(
    district, finished, django_capture_on_commit_callbacks
):
    job = run(
        document_jobs.DECISION,
        district.users["office"],
        finished.round,
        django_capture_on_commit_callbacks,
    )
    assert job.status == Job.Status.SUCCEEDED, job.error
    text = text_of(job.output_file.read())
    assert finished.round.decision_number in text.replace(" ", "")
    assert "2011年6月28日" in text.replace(" ", "")
    for member in (district.member, district.own_member):
        assert text.count(member.name) == 1
    assert "优秀共产党员" in text and district.branch.name in text


def test_certificates_one_page_each_and_one_file_each(
    district, finished, django_capture_on_commit_callbacks
):
    office = district.users["office"]
    one = run(
        document_jobs.CERTIFICATES, office, finished.round, django_capture_on_commit_callbacks
    )
    assert one.status == Job.Status.SUCCEEDED, one.error
    data = one.output_file.read()
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout
    assert b"Pages:           2" in info
    each = run(
        document_jobs.CERTIFICATES,
        office,
        finished.round,
        django_capture_on_commit_callbacks,
        zip=True,
    )
    archive = zipfile.ZipFile(io.BytesIO(each.output_file.read()))
    names = archive.namelist()
    assert len(names) == 2 and len(set(names)) == 2
    assert any(district.member.name in name for name in names)


def test_the_list_notice_and_upward_file(district, finished, django_capture_on_commit_callbacks):
    office = district.users["office"]
    listed = run(
        document_jobs.LIST, office, finished.round, django_capture_on_commit_callbacks, format="csv"
    )
    csv = listed.output_file.read().decode("utf-8-sig")
    assert district.member.name in csv and district.own_member.name in csv
    assert district.member.mobile not in csv
    notice = run(document_jobs.NOTICE, office, finished.round, django_capture_on_commit_callbacks)
    assert notice.status == Job.Status.SUCCEEDED, notice.error
    notice_text = text_of(notice.output_file.read())
    assert district.own_member.name in notice_text and district.member.name in notice_text
    upward = run(document_jobs.UPWARD, office, finished.round, django_capture_on_commit_callbacks)
    archive = zipfile.ZipFile(io.BytesIO(upward.output_file.read()))
    deeds = [n for n in archive.namelist() if n.endswith("事迹材料.txt")]
    assert len(deeds) == 2 and "表彰名单.xlsx" in archive.namelist()
    assert DEEDS in archive.read(deeds[0]).decode()


def test_a_round_not_ready_or_out_of_scope_gets_no_document(
    district, campaign, django_capture_on_commit_callbacks
):
    world = award_world(district, campaign)
    early = run(
        document_jobs.DECISION,
        district.users["office"],
        world.round,
        django_capture_on_commit_callbacks,
    )
    assert early.status == Job.Status.FAILED and "还不能生成" in early.error
    assert not early.output_file
    outsider = run(
        document_jobs.LIST,
        district.users["sibling_secretary"],
        world.round,
        django_capture_on_commit_callbacks,
    )
    assert outsider.status == Job.Status.FAILED and not outsider.output_file


def test_the_round_page_offers_the_documents_of_its_state(district, finished, login):
    office = login(district.users["office"])
    page = office.get(reverse("awards:round_detail", args=[finished.round.pk])).content.decode()
    assert 'value="decision"' in page and 'value="certificates_zip"' in page
    started = office.post(
        reverse("awards:round_document", args=[finished.round.pk]), {"kind": "decision"}
    )
    job = Job.objects.get(kind=document_jobs.DECISION)
    assert started["Location"] == reverse("core:job_detail", kwargs={"pk": job.pk})
    refused = office.post(
        reverse("awards:round_document", args=[finished.round.pk]), {"kind": "nope"}
    )
    assert refused.status_code == 302 and Job.objects.count() == 1


def test_the_showcase_shows_name_unit_title_and_summary_only(district, finished, client):
    page = client.get(reverse("award_showcase", args=[finished.round.pk])).content.decode()
    assert district.member.name in page and "十年如一日义务巡河" in page
    assert district.member.mobile not in page and district.own_member.mobile not in page
    assert DEEDS not in page  # the 事迹材料 stay with the staff


def test_no_showcase_before_the_round_is_finished(district, campaign, client):
    world = award_world(district, campaign)
    in_publicity(world)
    assert client.get(reverse("award_showcase", args=[world.round.pk])).status_code == 404
