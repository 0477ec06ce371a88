"""整改 services: opening (scope per source), every move and the illegal ones,
evidence checked by content and size, overdue computed and flagged by the
daily job (with a frozen clock, twice), the reads awards will use."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from reviews import rectify
from reviews.models_rectify import Rectification, RectificationFile
from reviews.models_spotcheck import SpotCheck
from reviews.spotcheck import spot_check_draw, spot_check_save

pytestmark = pytest.mark.django_db
Kind = Rectification.SourceKind
State = Rectification.State
DUE = dt.date(2026, 12, 31)


def opened(district, campaign, *, by="committee", unit=None, kind=Kind.MANUAL, due=DUE):
    return rectify.rectification_open(
        user=district.users[by],
        campaign=campaign,
        organization=unit or district.branch,
        description="公示栏承诺未及时更新，限期整改",
        due_on=due,
        source_kind=kind,
        source_text="检查发现公示栏内容陈旧",
    )


def freeze(monkeypatch, day):
    monkeypatch.setattr(rectify.timezone, "localdate", lambda *a: day)


def test_the_committee_above_opens_an_item_and_the_trail_records_it(district, campaign):
    item = opened(district, campaign, kind=Kind.SPOT_CHECK)
    assert item.state == State.PENDING and item.created_by == district.users["committee"]
    entry = AuditEntry.objects.get(model="reviews.rectification", object_id=str(item.pk))
    assert entry.action == "create" and entry.organization_id == district.branch.pk


def test_the_unit_may_enter_its_own_item_by_hand_but_not_give_itself_a_finding(district, campaign):
    item = opened(district, campaign, by="secretary", kind=Kind.MANUAL)
    assert item.organization == district.branch
    with pytest.raises(
        rectify.RectifyError, match="只有上级党组织或活动办公室可以向“第一党支部”交办整改"
    ):
        opened(district, campaign, by="secretary", kind=Kind.REVIEW_OPINION)


@pytest.mark.parametrize("who", ["sibling_secretary", "member", "contact_leader", "no_role"])
def test_others_cannot_open_an_item_for_the_branch(district, campaign, who):
    with pytest.raises(rectify.RectifyError):
        opened(district, campaign, by=who)
    assert not Rectification.objects.exists()


def test_an_item_needs_a_description_and_a_unit_of_the_campaign(district, campaign):
    with pytest.raises(rectify.RectifyError, match="请填写整改事项"):
        rectify.rectification_open(
            user=district.users["office"],
            campaign=campaign,
            organization=district.branch,
            description="  ",
            due_on=DUE,
            source_kind=Kind.MANUAL,
        )
    with pytest.raises(rectify.RectifyError, match="未知的整改来源"):
        opened(district, campaign, by="office", kind="rumour")
    assert not Rectification.objects.exists()


def test_the_whole_way_start_complete_redo_complete_verify(district, campaign):
    secretary, committee = district.users["secretary"], district.users["committee"]
    item = opened(district, campaign)
    item = rectify.rectification_start(item=item, user=secretary)
    assert item.state == State.IN_PROGRESS and item.started_at
    with pytest.raises(rectify.RectifyError, match="请先填写整改情况"):
        rectify.rectification_complete(item=item, user=secretary)
    item = rectify.rectification_complete(item=item, user=secretary, evidence="已更新公示栏")
    assert item.state == State.DONE and item.completed_at
    with pytest.raises(rectify.RectifyError, match="重新整改必须填写理由"):
        rectify.rectification_redo(item=item, user=committee, reason=" ")
    item = rectify.rectification_redo(item=item, user=committee, reason="照片不清晰")
    assert item.state == State.IN_PROGRESS and item.redo_count == 1
    assert item.redo_reason == "照片不清晰" and item.completed_at is None
    item = rectify.rectification_complete(item=item, user=secretary, evidence="已重新拍照")
    item = rectify.rectification_verify(item=item, user=committee)
    assert item.state == State.VERIFIED and item.verified_by == committee
    verbs = list(
        AuditEntry.objects.filter(model="reviews.rectification", object_id=str(item.pk))
        .exclude(verb="")
        .order_by("at", "pk")
        .values_list("verb", flat=True)
    )
    assert verbs == ["start", "complete", "redo", "complete", "verify"]


def test_the_unit_cannot_verify_its_own_item_nor_a_sibling_start_it(district, campaign):
    item = opened(district, campaign)
    with pytest.raises(rectify.RectifyError, match="只有整改单位可以开始整改"):
        rectify.rectification_start(item=item, user=district.users["sibling_secretary"])
    item = rectify.rectification_start(item=item, user=district.users["secretary"])
    item = rectify.rectification_complete(item=item, user=district.users["secretary"], evidence="x")
    with pytest.raises(rectify.RectifyError, match="只有上级党组织或活动办公室可以核验整改"):
        rectify.rectification_verify(item=item, user=district.users["secretary"])
    assert Rectification.objects.get(pk=item.pk).state == State.DONE


def test_a_verified_item_is_final(district, campaign):
    item = opened(district, campaign)
    Rectification.objects.filter(pk=item.pk).update(state=State.VERIFIED, evidence="x")
    item.refresh_from_db()
    for move in (rectify.rectification_start, rectify.rectification_verify):
        with pytest.raises(rectify.RectifyError, match="整改事项当前为“已核验”"):
            move(item=item, user=district.users["office"])
    with pytest.raises(rectify.RectifyError, match="不能重新整改"):
        rectify.rectification_redo(item=item, user=district.users["office"], reason="再看看")


def _started(district, campaign):
    item = opened(district, campaign)
    return rectify.rectification_start(item=item, user=district.users["secretary"])


def test_evidence_files_are_kept_when_their_content_is_what_they_say(district, campaign):
    item = _started(district, campaign)
    pdf = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4\n%%EOF\n")
    item = rectify.rectification_evidence(
        item=item, user=district.users["secretary"], evidence="已整改", files=[pdf]
    )
    kept = RectificationFile.objects.get()
    assert kept.name == "整改报告.pdf" and kept.content_type == "application/pdf"
    assert item.evidence == "已整改"


def test_a_program_renamed_as_pdf_is_refused_with_its_name_and_nothing_is_kept(district, campaign):
    item = _started(district, campaign)
    exe = SimpleUploadedFile("整改报告.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100)
    good = SimpleUploadedFile("照片.pdf", b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(rectify.RectifyError, match="“整改报告.pdf”的内容不是其中一种"):
        rectify.rectification_evidence(
            item=item, user=district.users["secretary"], evidence="已整改", files=[good, exe]
        )
    assert not RectificationFile.objects.exists()
    assert Rectification.objects.get(pk=item.pk).evidence == ""


def test_a_pdf_named_png_and_a_file_too_large_are_refused(district, campaign, monkeypatch):
    item = _started(district, campaign)
    secretary = district.users["secretary"]
    with pytest.raises(rectify.RectifyError, match="内容与扩展名不符"):
        rectify.rectification_evidence(
            item=item, user=secretary, files=[SimpleUploadedFile("a.png", b"%PDF-1.4\n")]
        )
    monkeypatch.setattr(rectify, "FILE_MAX_BYTES", 10)
    with pytest.raises(rectify.RectifyError, match="过大"):
        rectify.rectification_evidence(
            item=item, user=secretary, files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4\n" * 5)]
        )
    assert not RectificationFile.objects.exists()


def test_a_refused_completion_keeps_none_of_its_evidence(district, campaign):
    item = _started(district, campaign)
    bad = SimpleUploadedFile("a.pdf", b"not a pdf")
    with pytest.raises(rectify.RectifyError):
        rectify.rectification_complete(
            item=item, user=district.users["secretary"], evidence="做完了", files=[bad]
        )
    fresh = Rectification.objects.get(pk=item.pk)
    assert fresh.state == State.IN_PROGRESS and fresh.evidence == ""


def test_overdue_is_computed_on_read_before_the_job_runs(district, campaign, monkeypatch):
    item = opened(district, campaign, due=dt.date(2026, 12, 10))
    freeze(monkeypatch, dt.date(2026, 12, 10))
    assert not rectify.is_overdue(item)  # due today is not late
    freeze(monkeypatch, dt.date(2026, 12, 11))
    assert rectify.is_overdue(item) and not item.overdue
    assert rectify.overdue_for(campaign, [district.branch.pk, district.sibling.pk]) == {
        district.branch.pk
    }


def test_the_daily_job_flags_once_and_clears_when_done(district, campaign, monkeypatch):
    late = opened(district, campaign, due=dt.date(2026, 12, 1))
    on_time = opened(district, campaign, due=dt.date(2027, 1, 31))
    freeze(monkeypatch, dt.date(2026, 12, 3))
    assert rectify.rectification_flag_overdue() == {"flagged": 1, "cleared": 0}
    by_job = AuditEntry.objects.filter(model="reviews.rectification", source="task")
    assert [e.changes for e in by_job] == [{"overdue": [False, True]}]
    assert rectify.rectification_flag_overdue() == {"flagged": 0, "cleared": 0}  # twice: no change
    assert by_job.count() == 1
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.overdue and not on_time.overdue
    # Finished late: the completion clears the flag; the job leaves it cleared.
    late = rectify.rectification_start(item=late, user=district.users["secretary"])
    late = rectify.rectification_complete(item=late, user=district.users["secretary"], evidence="x")
    assert not late.overdue and not rectify.is_overdue(late)
    assert rectify.rectification_flag_overdue() == {"flagged": 0, "cleared": 0}
    # Sent back after its due date: overdue again at once.
    late = rectify.rectification_redo(item=late, user=district.users["committee"], reason="不实")
    assert late.overdue and rectify.is_overdue(late)


def test_the_beat_schedule_runs_the_job_at_half_past_midnight(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["flag-overdue-rectifications"]
    assert entry["task"] == "reviews.tasks.flag_overdue_rectifications"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {30}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    from reviews.tasks import flag_overdue_rectifications

    assert flag_overdue_rectifications.name == entry["task"]


def test_award_eligibility_sees_every_item_not_yet_verified(district, campaign):
    item = opened(district, campaign)
    opened(district, campaign, unit=district.sibling)
    units = [district.branch.pk, district.sibling.pk, district.far_branch.pk]
    assert rectify.has_open_or_overdue(campaign, units) == {district.branch.pk, district.sibling.pk}
    Rectification.objects.filter(pk=item.pk).update(state=State.VERIFIED, evidence="x")
    assert rectify.has_open_or_overdue(campaign, units) == {district.sibling.pk}


def test_a_sibling_sees_no_item_of_the_branch(district, campaign):
    item = opened(district, campaign)
    assert rectify.rectifications_for(district.users["secretary"]).filter(pk=item.pk).exists()
    for who in ("sibling_secretary", "member", "no_role"):
        assert not rectify.rectifications_for(district.users[who]).filter(pk=item.pk).exists()


def test_opening_from_a_spot_check_links_both_ways_and_only_once(district, campaign):
    office = district.users["office"]
    round_ = spot_check_draw(
        user=office, campaign=campaign, organization=district.street, title="抽查", percent=100
    )
    check = SpotCheck.objects.get(round=round_, organization=district.branch)
    values = {n: getattr(check, n) for n in ("plan_filed", "pledges_public", "meeting_held")}
    values |= {"satisfaction": None, "findings": "讲评会记录不完整"}
    with pytest.raises(rectify.RectifyError, match="尚未检查完毕"):
        rectify.rectification_open_from_spot_check(
            user=office, check=check, description="补齐记录", due_on=DUE
        )
    check = spot_check_save(check=check, user=office, values=values, done=True)
    item = rectify.rectification_open_from_spot_check(
        user=office, check=check, description="补齐讲评会记录", due_on=DUE
    )
    check.refresh_from_db()
    assert check.rectification_id == item.pk
    assert item.source_kind == Kind.SPOT_CHECK and item.source_id == check.pk
    assert item.source_text == "讲评会记录不完整"
    assert rectify.source_url(item) == (
        f"/reviews/spotchecks/{round_.pk}/units/{district.branch.pk}/"
    )
    with pytest.raises(rectify.RectifyError, match="已据该单位的检查发现交办过整改"):
        rectify.rectification_open_from_spot_check(
            user=office, check=check, description="再来", due_on=DUE
        )
    assert Rectification.objects.count() == 1


def test_a_source_kind_registers_its_link(district, campaign):
    # 手工录入 has no source page of its own; a kind that registers one is linked.
    item = opened(district, campaign, by="office", kind=Kind.MANUAL)
    Rectification.objects.filter(pk=item.pk).update(source_id=7)
    item.refresh_from_db()
    assert rectify.source_url(item) == ""
    rectify.register_source_link(Kind.MANUAL)(lambda pk: f"/notes/{pk}/")
    try:
        assert rectify.source_url(item) == "/notes/7/"
    finally:
        rectify._links.entries.pop(Kind.MANUAL)
    # 群众评议意见 links to the subject's opinions page (registered by reviews.hooks).
    survey_item = opened(district, campaign, by="office", kind=Kind.SURVEY_OPINION)
    Rectification.objects.filter(pk=survey_item.pk).update(source_id=7)
    survey_item.refresh_from_db()
    assert rectify.source_url(survey_item) == "/reviews/surveys/subjects/7/opinions/"
    with pytest.raises(ValueError):
        rectify.register_source_link("rumour")


def test_the_demo_seed_makes_every_state_some_overdue_and_runs_once(district, campaign):
    import io

    from django.core.management import call_command

    from tests.factories import OrganizationFactory

    for i in range(6):
        OrganizationFactory(code=f"R-S1-C1-X{i}", parent=district.community)
    out = io.StringIO()
    call_command("seed_rectifications", "--root", "R", stdout=out)
    states = set(Rectification.objects.values_list("state", flat=True))
    assert states == set(State.values)
    assert Rectification.objects.filter(overdue=True).exists()
    assert Rectification.objects.filter(redo_count=1, state=State.IN_PROGRESS).exists()
    n = Rectification.objects.count()
    call_command("seed_rectifications", "--root", "R", stdout=out)
    assert Rectification.objects.count() == n and "跳过" in out.getvalue()
