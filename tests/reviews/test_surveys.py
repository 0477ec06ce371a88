"""群众评议 by one-time code: codes secure, unambiguous and stored only as keyed
hashes; a code answers once (also when two submissions race, on PostgreSQL);
a response cannot be joined back to its code; wrong codes are throttled per
address; paper tallies that don't add up are refused; 满意率 and turnout on a
worked example computed by hand."""

import datetime as dt
import math
import subprocess
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from core.models import AuditEntry, Job
from reviews import surveys
from reviews.models import ReviewRound
from reviews.models_surveys import (
    DEFAULT_QUESTIONS,
    Survey,
    SurveyAttempt,
    SurveyCode,
    SurveyCodeBatch,
    SurveyResponse,
    SurveySubject,
    SurveyTally,
)
from reviews.spotcheck import satisfaction_for
from reviews.survey_results import (
    satisfaction_rate,
    subject_figures,
    subject_rows,
    subtree_summary,
    summarise,
)
from reviews.survey_slips import answer_url
from reviews.surveys import SurveyError

TODAY = dt.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def make_survey(district, campaign, **values):
    return surveys.survey_create(
        user=district.users["office"],
        campaign=campaign,
        organization=values.pop("organization", district.street),
        title=values.pop("title", "2026年群众评议"),
        opens_on=values.pop("opens_on", TODAY - dt.timedelta(days=3)),
        closes_on=values.pop("closes_on", TODAY + dt.timedelta(days=10)),
        **values,
    )


def issue(subject, size, user=None):
    """A batch issued the way the job does it: codes written, plaintext returned."""
    batch = SurveyCodeBatch.objects.create(subject=subject, size=size)
    from django.db import transaction

    with transaction.atomic():
        codes = surveys.issue_codes(batch)
        batch.state = SurveyCodeBatch.State.ISSUED
        batch.save()
    return batch, codes


def subject_of(survey, organization):
    return SurveySubject.objects.get(survey=survey, organization=organization)


# ------------------------------------------------------------------ codes


def test_codes_are_long_random_and_free_of_look_alike_characters():
    codes = surveys.new_codes(2000)
    assert len(set(codes)) == 2000
    assert not set("".join(codes)) & set("0O1IL")
    assert set("".join(codes)) == set(surveys.ALPHABET)  # every letter used: no bias to a few
    assert all(len(c) == surveys.CODE_LENGTH for c in codes)
    assert surveys.CODE_LENGTH * math.log2(len(surveys.ALPHABET)) >= 60


def test_typed_codes_are_normalised_for_case_and_separators():
    code = surveys.new_codes(1)[0]
    shown = surveys.printed(code)
    assert shown.count("-") == 2 and shown.replace("-", "") == code
    assert surveys.normalise(f" {shown.lower()} ") == code
    assert surveys.normalise(shown.replace("-", " ")) == code
    assert "0" in surveys.mistyped_reason(code[:-1] + "0")
    assert "13" in surveys.mistyped_reason(code[:-1])
    assert surveys.mistyped_reason(code) == ""


def test_only_keyed_hashes_of_the_codes_are_stored(district, campaign, settings):
    survey = make_survey(district, campaign)
    batch, codes = issue(subject_of(survey, district.branch), 50)
    stored = set(SurveyCode.objects.filter(batch=batch).values_list("digest", flat=True))
    assert len(stored) == 50 and stored == {surveys.code_digest(c) for c in codes}
    import hashlib

    assert hashlib.sha256(codes[0].encode()).hexdigest() not in stored  # keyed, not plain
    # No column anywhere holds a code in plaintext.
    fields = [f.name for f in SurveyCode._meta.get_fields()]
    assert "code" not in fields
    settings.SECRET_KEY = "another-key"
    assert surveys.code_digest(codes[0]) not in stored


def test_a_survey_takes_seed_001s_questions_and_the_units_under_it(district, campaign):
    survey = make_survey(district, campaign)
    assert survey.questions == DEFAULT_QUESTIONS
    assert [c["label"] for c in survey.choices] == ["满意", "基本满意", "不满意"]
    assert survey.target == Decimal("90")
    names = set(survey.subjects.values_list("organization__code", flat=True))
    assert names == {"R-S1-C1", "R-S1-C1-B1", "R-S1-C1-B2"}
    assert AuditEntry.objects.filter(model="reviews.survey", object_id=str(survey.pk)).exists()


def test_only_the_office_or_committee_above_may_create(district, campaign):
    with pytest.raises(SurveyError, match="只有活动办公室或上级党组织"):
        surveys.survey_create(
            user=district.users["secretary"],
            campaign=campaign,
            organization=district.branch,
            title="x",
            opens_on=TODAY,
            closes_on=TODAY,
        )
    with pytest.raises(SurveyError, match="截止日期不能早于开始日期"):
        make_survey(district, campaign, closes_on=TODAY - dt.timedelta(days=30))
    assert not Survey.objects.exists()


# ------------------------------------------------------------------ answering


def test_a_code_answers_once_and_the_response_keeps_no_code_address_or_time(district, campaign):
    survey = make_survey(district, campaign)
    subject = subject_of(survey, district.branch)
    _batch, codes = issue(subject, 3)
    done = surveys.answer(
        typed=surveys.printed(codes[0]).lower(),
        answers=[0, 1, 2],
        opinion="多联系群众",
        address="10.0.0.9",
    )
    assert done.status == "done"
    again = surveys.answer(typed=codes[0], answers=[0, 0, 0], opinion="", address="10.0.0.9")
    assert again.status == "used"
    assert SurveyResponse.objects.count() == 1
    response = SurveyResponse.objects.get()
    assert response.answers == [0, 1, 2] and response.day == TODAY
    assert SurveyCode.objects.filter(used=True).count() == 1
    # Anonymity: nothing in the response's columns points at a code, an address
    # or a moment, and the code row has no time or link either.
    columns = {f.column for f in SurveyResponse._meta.concrete_fields}
    assert columns == {"id", "survey_id", "subject_id", "answers", "opinion", "day"}
    code_columns = {f.column for f in SurveyCode._meta.concrete_fields}
    assert code_columns == {"id", "batch_id", "digest", "used"}
    assert not any(f.related_model is SurveyResponse for f in SurveyCode._meta.get_fields())
    assert "10.0.0.9" not in str(list(SurveyResponse.objects.values()))


def test_void_unknown_mistyped_and_closed_codes_are_told_apart(district, campaign):
    survey = make_survey(district, campaign)
    subject = subject_of(survey, district.branch)
    batch, codes = issue(subject, 2)
    other = surveys.new_codes(1)[0]
    assert surveys.check_code(other, address="a").status == "unknown"
    assert surveys.check_code("ABC", address="a").status == "mistyped"
    assert surveys.check_code(codes[0], address="a").status == "ok"
    surveys.batch_void(user=district.users["office"], batch=batch)
    assert surveys.check_code(codes[0], address="a").status == "void"
    found = surveys.answer(typed=codes[0], answers=[0, 0, 0], opinion="", address="a")
    assert found.status == "void" and not SurveyResponse.objects.exists()
    _b2, fresh = issue(subject, 1)
    Survey.objects.filter(pk=survey.pk).update(closes_on=TODAY - dt.timedelta(days=1))
    assert surveys.check_code(fresh[0], address="a").status == "closed"


def test_incomplete_answers_are_refused_and_the_code_stays_unused(district, campaign):
    survey = make_survey(district, campaign)
    _batch, codes = issue(subject_of(survey, district.branch), 1)
    found = surveys.answer(typed=codes[0], answers=[0, None, 1], opinion="", address="a")
    assert found.status == "invalid" and "第 2 项" in found.message
    found = surveys.answer(typed=codes[0], answers=[0, 1, 9], opinion="", address="a")
    assert found.status == "invalid" and "第 3 项" in found.message
    assert not SurveyCode.objects.filter(used=True).exists()
    assert (
        surveys.answer(typed=codes[0], answers=[0, 1, 1], opinion="", address="a").status == "done"
    )


def test_a_flood_of_wrong_codes_is_throttled_per_address(district, campaign, settings):
    settings.SURVEY_CODE_FAILURE_LIMIT = 3
    survey = make_survey(district, campaign)
    _batch, codes = issue(subject_of(survey, district.branch), 1)
    for guess in surveys.new_codes(3):
        assert surveys.check_code(guess, address="10.9.9.9").status == "unknown"
    assert surveys.check_code(surveys.new_codes(1)[0], address="10.9.9.9").status == "throttled"
    # Even a right code from the flooding address waits; another address is not held up.
    assert surveys.check_code(codes[0], address="10.9.9.9").status == "throttled"
    assert surveys.check_code(codes[0], address="10.9.9.8").status == "ok"
    assert SurveyAttempt.objects.count() == 3
    assert "10.9.9.9" not in "".join(SurveyAttempt.objects.values_list("address_hash", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_of_one_code_leave_one_response(postgres_only):
    from tests.factories import licheng_campaign, make_district

    district = make_district()
    campaign = licheng_campaign(district)
    survey = make_survey(district, campaign)
    _batch, codes = issue(subject_of(survey, district.branch), 1)
    results, barrier = [], threading.Barrier(8)

    def submit():
        try:
            barrier.wait()
            found = surveys.answer(typed=codes[0], answers=[0, 0, 1], opinion="", address="x")
            results.append(found.status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["done"] + ["used"] * 7
    assert SurveyResponse.objects.count() == 1
    assert connection.vendor == "postgresql"


# ------------------------------------------------------------------ paper forms


def test_paper_tallies_that_do_not_add_up_are_refused_and_good_ones_audited(district, campaign):
    survey = make_survey(district, campaign)
    subject = subject_of(survey, district.branch)
    secretary = district.users["secretary"]
    good = [[20, 5, 3, 2], [18, 8, 4, 0], [25, 3, 1, 1]]
    with pytest.raises(SurveyError, match="多于发放的 25 份"):
        surveys.tally_save(
            user=secretary, subject=subject, attendees=25, forms=30, counts=good, held_on=TODAY
        )
    with pytest.raises(SurveyError, match="第 2 项.*合计 31"):
        surveys.tally_save(
            user=secretary,
            subject=subject,
            attendees=30,
            forms=30,
            counts=[good[0], [19, 8, 4, 0], good[2]],
            held_on=TODAY,
        )
    with pytest.raises(SurveyError, match="只有"):
        surveys.tally_save(
            user=district.users["sibling_secretary"],
            subject=subject,
            attendees=30,
            forms=30,
            counts=good,
            held_on=TODAY,
        )
    assert not SurveyTally.objects.exists()
    tally = surveys.tally_save(
        user=secretary, subject=subject, attendees=32, forms=30, counts=good, held_on=TODAY
    )
    assert (
        AuditEntry.objects.filter(model="reviews.surveytally", object_id=str(tally.pk)).count() == 1
    )
    # A second meeting is a second tally; a correction changes the one named.
    second = surveys.tally_save(
        user=secretary,
        subject=subject,
        attendees=5,
        forms=2,
        counts=[[2, 0, 0, 0]] * 3,
        held_on=TODAY,
    )
    assert SurveyTally.objects.filter(subject=subject).count() == 2
    surveys.tally_save(
        user=secretary,
        subject=subject,
        attendees=5,
        forms=3,
        counts=[[3, 0, 0, 0]] * 3,
        held_on=TODAY,
        tally=second,
    )
    second.refresh_from_db()
    assert second.forms == 3 and SurveyTally.objects.filter(subject=subject).count() == 2
    assert AuditEntry.objects.filter(
        model="reviews.surveytally", object_id=str(second.pk), action="update"
    ).exists()
    # A tally of another subject is not corrected through this one.
    other = subject_of(survey, district.sibling)
    with pytest.raises(SurveyError, match="不属于"):
        surveys.tally_save(
            user=district.users["office"],
            subject=other,
            attendees=5,
            forms=3,
            counts=[[3, 0, 0, 0]] * 3,
            held_on=TODAY,
            tally=second,
        )
    second.refresh_from_db()
    assert second.subject_id == subject.pk and second.forms == 3


# ------------------------------------------------------------------ figures


def test_satisfaction_and_turnout_on_a_worked_example(district, campaign):
    """The branch: 10 codes issued, 4 answered on the web; 12 forms handed out at
    the meeting, 10 returned.

    Web answers (满意=0, 基本满意=1, 不满意=2):
        [0,0,2] [0,1,2] [1,1,0] [2,0,0]
    Paper (满意, 基本满意, 不满意, 无效) per question:
        Q1 [6,2,1,1]  Q2 [5,3,2,0]  Q3 [7,1,0,2]
    Q1: 满意 2+6=8, 基本 1+2=3, 不满意 1+1=2 → valid 13, satisfied 11 → 84.62 %
    Q2: 满意 2+5=7, 基本 2+3=5, 不满意 0+2=2 → valid 14, satisfied 12 → 85.71 %
    Q3: 满意 2+7=9, 基本 0+1=1, 不满意 2+0=2 → valid 12, satisfied 10 → 83.33 %
    Overall 33 / 39 = 84.62 % < 90 %: target not met.
    Turnout: (4 + 10) / (10 + 12) = 14 / 22 = 63.64 %.
    The sibling: 2 codes, 2 answers all 满意 → 100 %; the community (the
    subtree of both): satisfied 33 + 6 = 39 of 39 + 6 = 45 → 86.67 %,
    turnout 16 / 24 = 66.67 %.
    """
    survey = make_survey(district, campaign)
    branch = subject_of(survey, district.branch)
    _b, codes = issue(branch, 10)
    for code, given in zip(codes, [[0, 0, 2], [0, 1, 2], [1, 1, 0], [2, 0, 0]], strict=False):
        assert surveys.answer(typed=code, answers=given, opinion="", address="a").status == "done"
    # Two meetings (党员大会 and 群众代表座谈会) whose forms add up to the above.
    for attendees, forms, counts in [
        (7, 6, [[4, 1, 0, 1], [3, 2, 1, 0], [4, 1, 0, 1]]),
        (5, 4, [[2, 1, 1, 0], [2, 1, 1, 0], [3, 0, 0, 1]]),
    ]:
        surveys.tally_save(
            user=district.users["secretary"],
            subject=branch,
            attendees=attendees,
            forms=forms,
            counts=counts,
            held_on=TODAY,
        )
    sibling = subject_of(survey, district.sibling)
    _b, more = issue(sibling, 2)
    for code in more:
        surveys.answer(typed=code, answers=[0, 0, 0], opinion="", address="a")

    result = summarise(survey, subject_figures(survey, [branch.pk])[branch.pk])
    assert [q["rate"] for q in result.questions] == [
        Decimal("84.62"),
        Decimal("85.71"),
        Decimal("83.33"),
    ]
    assert [q["invalid"] for q in result.questions] == [1, 0, 2]
    assert (result.satisfied, result.valid, result.rate) == (33, 39, Decimal("84.62"))
    assert result.met is False
    assert (result.responses, result.issued, result.turnout) == (14, 22, Decimal("63.64"))

    community = subtree_summary(survey, district.community)
    assert (community.satisfied, community.valid, community.rate) == (39, 45, Decimal("86.67"))
    assert community.turnout == Decimal("66.67")
    rows = {r["subject"].organization_id: r["summary"] for r in subject_rows(survey)}
    assert rows[district.sibling.pk].rate == Decimal("100.00") and rows[district.sibling.pk].met

    rates = satisfaction_rate(
        campaign, [district.branch.pk, district.sibling.pk, district.far_branch.pk]
    )
    assert rates == {district.branch.pk: Decimal("84.62"), district.sibling.pk: Decimal("100.00")}
    assert satisfaction_for(campaign, [district.branch.pk]) == {
        district.branch.pk: Decimal("84.62")
    }


# ------------------------------------------------------------------ the slips job


def test_the_slips_job_issues_the_codes_and_makes_the_only_copy(
    district, campaign, django_capture_on_commit_callbacks
):
    survey = make_survey(district, campaign)
    subject = subject_of(survey, district.branch)
    with django_capture_on_commit_callbacks(execute=True):
        batch = surveys.batch_request(user=district.users["office"], subject=subject, size=12)
    batch.refresh_from_db()
    job = Job.objects.get(pk=batch.job_id)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert batch.state == SurveyCodeBatch.State.ISSUED
    assert SurveyCode.objects.filter(batch=batch).count() == 12
    data = job.output_file.read()
    assert data.startswith(b"%PDF")
    # Nothing the job kept names a code.
    assert "digest" not in str(job.params) and set(job.result) == {"batch", "slips", "bytes"}
    # The voided batch is reissued as a new one of the same size.
    with django_capture_on_commit_callbacks(execute=True):
        again = surveys.batch_reissue(user=district.users["office"], batch=batch)
    batch.refresh_from_db()
    again.refresh_from_db()
    assert batch.state == SurveyCodeBatch.State.VOID and again.state == SurveyCodeBatch.State.ISSUED
    assert again.size == 12 and SurveyCode.objects.count() == 24
    with pytest.raises(SurveyError, match="只有"):
        surveys.batch_request(user=district.users["secretary"], subject=subject, size=5)


def test_slip_qr_codes_decode_to_the_answer_page_of_a_code_of_the_batch(
    district, campaign, django_capture_on_commit_callbacks, tmp_path
):
    """The slip's QR codes, scanned off the printed page (pdftoppm at 150 dpi,
    zxing-cpp), each open the answer page of one of the batch's codes, and its
    printed code is the same one."""
    import zxingcpp
    from PIL import Image

    survey = make_survey(district, campaign)
    subject = subject_of(survey, district.branch)
    with django_capture_on_commit_callbacks(execute=True):
        batch = surveys.batch_request(user=district.users["office"], subject=subject, size=12)
    job = Job.objects.get(pk=batch.job_id)
    source = tmp_path / "slips.pdf"
    source.write_bytes(job.output_file.read())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", source, tmp_path / "page"],
        check=True,
    )
    (page,) = tmp_path.glob("page*.png")
    scanned = [found.text for found in zxingcpp.read_barcodes(Image.open(page).convert("L"))]
    assert len(scanned) == 10  # ten slips to a page
    key = surveys._key()
    digests = set(SurveyCode.objects.filter(batch=batch).values_list("digest", flat=True))
    printed = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", source, "-"], capture_output=True, text=True
    ).stdout
    for url in scanned:
        assert url.startswith(answer_url()) and url.endswith("/")
        code = url.rstrip("/").rsplit("/", 1)[1]
        assert surveys.code_digest(surveys.normalise(code), key) in digests
        assert code in printed


def test_the_survey_is_the_rounds_public_evaluator_kind(district, campaign):
    """A round of a kind rating units by 上级党组织评议 50 and 群众评议 50 with a
    survey held for it: the branch's 3 web answers, 满意(100) ×5, 基本满意(80) ×3,
    不满意(0) ×1 over 9 answers → (500 + 240) / 9 = 82.22, counted as 3 evaluators."""
    from reviews import services
    from reviews.models import KindEvaluator, Review, ReviewKind
    from reviews.results import round_results

    model = ReviewKind.objects.get(campaign=campaign, name="党（工）委季度点评")
    kind = ReviewKind.objects.create(
        campaign=campaign,
        name="群众评议党组织",
        subject=model.subject,
        rubric=model.rubric,
        min_evaluators=3,
    )
    KindEvaluator.objects.create(kind=kind, evaluator="parent", weight=50)
    KindEvaluator.objects.create(kind=kind, evaluator="public", weight=50)
    round_ = services.round_open(
        round_=services.round_create(
            user=district.users["committee"],
            campaign=campaign,
            kind=kind,
            organization=district.community,
            period="2010年",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        ),
        user=district.users["committee"],
    )
    survey = make_survey(district, campaign, organization=district.community, round_=round_)
    _b, codes = issue(subject_of(survey, district.branch), 5)
    for code, given in zip(codes, [[0, 0, 1], [0, 1, 2], [0, 0, 1]], strict=False):
        surveys.answer(typed=code, answers=given, opinion="", address="a")
    round_results(round_)
    review = Review.objects.get(round=round_, organization=district.branch)
    public = review.breakdown["public"]
    assert public["n"] == 3 and Decimal(public["mean"]) == Decimal("82.22")
    sibling = Review.objects.get(round=round_, organization=district.sibling)
    assert sibling.breakdown["public"]["n"] == 0


def test_seed_surveys_makes_one_demo_survey_with_answers_and_tallies(district, campaign):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    get_user_model().objects.filter(username="admin").update(is_superuser=True)
    out = io.StringIO()
    call_command("seed_surveys", "--root", "R", stdout=out)
    survey = Survey.objects.get(subject_kind=Survey.SubjectKind.ORGANIZATIONS)
    assert survey.organization == district.street  # the first committee below the root
    assert SurveyResponse.objects.filter(survey=survey).count() > 10
    assert SurveyTally.objects.filter(subject__survey=survey).exists()
    rows = subject_rows(survey)
    assert all(r["summary"].turnout is not None for r in rows)
    # And one of the members of the street's first branch with members, half issued.
    members = Survey.objects.get(subject_kind=Survey.SubjectKind.MEMBERS)
    assert members.organization == district.branch
    subjects = members.subjects.count()
    assert subjects == district.branch.members.count() >= 2
    issued = SurveyCodeBatch.objects.filter(subject__survey=members).count()
    assert issued == max(1, subjects // 2)
    assert SurveyResponse.objects.filter(survey=members).count() == 3 * issued
    # The web answers' figures are folded in (no beat runs in the demo).
    from reviews.models_surveys import SurveyFigureDelta

    assert not SurveyFigureDelta.objects.exists()
    call_command("seed_surveys", "--root", "R", stdout=out)
    assert Survey.objects.count() == 2 and "跳过" in out.getvalue()


# ------------------------------------------------------------------ members as subjects


def test_a_survey_of_members_has_a_subject_per_member_in_their_unit(district, campaign):
    from orgs.models import Member

    survey = make_survey(district, campaign, subject_kind=Survey.SubjectKind.MEMBERS)
    under = Member.objects.filter(
        organization__tree_id=district.street.tree_id,
        organization__lft__gte=district.street.lft,
        organization__rght__lte=district.street.rght,
    )
    subjects = SurveySubject.objects.filter(survey=survey).select_related("member", "organization")
    assert {s.member_id for s in subjects} == set(under.values_list("pk", flat=True))
    assert all(s.organization_id == s.member.organization_id for s in subjects)
    mine = subjects.get(member=district.member)
    assert mine.label == f"{district.member.name}（{district.branch.name}）"
    assert mine.file_code == district.member.number
    # Only the 党员领导干部, when so configured; none is refused with the reason.
    with pytest.raises(SurveyError, match="没有符合条件的党员（党员领导干部）"):
        make_survey(district, campaign, subject_kind=Survey.SubjectKind.LEADING_CADRES)
    Member.objects.filter(pk=district.sibling_member.pk).update(is_leading_cadre=True)
    cadres = make_survey(district, campaign, subject_kind=Survey.SubjectKind.LEADING_CADRES)
    assert list(cadres.subjects.values_list("member_id", flat=True)) == [district.sibling_member.pk]


def test_a_members_code_names_them_and_their_rate_is_kept_apart_from_units(
    district, campaign, login
):
    """The member: 2 web answers [0,0,2] (满意 ×2, 不满意) and [1,1,1] (基本满意 ×3)
    → satisfied 5 of 6 = 83.33 %;
    the units' rate is not touched by a survey of members."""
    from django.urls import reverse

    from reviews.survey_results import member_satisfaction_rate, satisfaction_rate

    survey = make_survey(district, campaign, subject_kind=Survey.SubjectKind.MEMBERS)
    subject = SurveySubject.objects.get(survey=survey, member=district.member)
    _b, codes = issue(subject, 3)
    page = login(None).get(reverse("survey_code", args=[surveys.printed(codes[0])]))
    assert district.member.name in page.content.decode()
    assert district.member.mobile not in page.content.decode()
    for code, given in zip(codes, [[0, 0, 2], [1, 1, 1]], strict=False):
        assert (
            surveys.answer(typed=code, answers=given, opinion="窗口服务热情", address="a").status
            == "done"
        )
    assert member_satisfaction_rate(campaign, [district.member.pk, district.sibling_member.pk]) == {
        district.member.pk: Decimal("83.33")
    }
    assert satisfaction_rate(campaign, [district.branch.pk]) == {}
    # The opinions are the unit's (its secretary and those above), not the member's own.
    url = reverse("reviews:survey_opinions", args=[subject.pk])
    assert "窗口服务热情" in login(district.users["secretary"]).get(url).content.decode()
    assert login(district.users["member"]).get(url).status_code == 404
    assert login(district.users["sibling_secretary"]).get(url).status_code == 404


def test_a_survey_of_members_scores_the_members_review_as_its_public_kind(district, campaign):
    """党员民主评议 (党员互评 40, 支部评议 30, 群众评议 30) with a survey of members
    held for it: the member's 3 answers 满意 ×6, 基本满意 ×2, 不满意 ×1 →
    (600 + 160) / 9 = 84.44, counted as 3 evaluators (the kind's minimum)."""
    from reviews import services
    from reviews.models import Review, ReviewKind
    from reviews.results import round_results

    kind = ReviewKind.objects.get(campaign=campaign, name="党员民主评议")
    round_ = services.round_open(
        round_=services.round_create(
            user=district.users["committee"],
            campaign=campaign,
            kind=kind,
            organization=district.community,
            period="2010年",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        ),
        user=district.users["committee"],
    )
    survey = make_survey(
        district,
        campaign,
        organization=district.community,
        round_=round_,
        subject_kind=Survey.SubjectKind.MEMBERS,
    )
    subject = SurveySubject.objects.get(survey=survey, member=district.member)
    _b, codes = issue(subject, 3)
    for code, given in zip(codes, [[0, 0, 1], [0, 1, 2], [0, 0, 0]], strict=True):
        surveys.answer(typed=code, answers=given, opinion="", address="a")
    round_results(round_)
    public = Review.objects.get(round=round_, member=district.member).breakdown["public"]
    assert public["n"] == 3 and Decimal(public["mean"]) == Decimal("84.44")
    other = Review.objects.get(round=round_, member=district.sibling_member)
    assert other.breakdown["public"]["n"] == 0


# ------------------------------------------------------------------ issuing for every subject


def test_codes_for_every_subject_in_one_job_one_pdf_each_and_not_twice(
    district, campaign, django_capture_on_commit_callbacks, settings
):
    import io
    import zipfile

    survey = make_survey(district, campaign)
    first = subject_of(survey, district.branch)
    issue(first, 2)  # this one has its codes already
    count = survey.subjects.count()
    settings.SURVEY_BULK_CODES_MAX = (count - 1) * 4 - 1
    with pytest.raises(SurveyError, match="超过一次最多"):
        surveys.batches_request(user=district.users["office"], survey=survey, size=4)
    assert SurveyCodeBatch.objects.count() == 1 and not Job.objects.exists()
    with pytest.raises(SurveyError, match="只有"):
        surveys.batches_request(user=district.users["secretary"], survey=survey, size=4)
    settings.SURVEY_BULK_CODES_MAX = 100_000
    with django_capture_on_commit_callbacks(execute=True):
        batches, job = surveys.batches_request(user=district.users["office"], survey=survey, size=4)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert len(batches) == count - 1
    assert set(SurveyCodeBatch.objects.filter(job=job).values_list("state", flat=True)) == {
        SurveyCodeBatch.State.ISSUED
    }
    assert SurveyCode.objects.filter(batch__job=job).count() == 4 * (count - 1)
    archive = zipfile.ZipFile(io.BytesIO(job.output_file.read()))
    names = archive.namelist()
    assert len(names) == count - 1 and all(name.endswith(".pdf") for name in names)
    assert all(archive.read(name).startswith(b"%PDF") for name in names)
    # Every subject has codes now: a second request is refused, nothing written.
    with pytest.raises(SurveyError, match="都已发放"):
        surveys.batches_request(user=district.users["office"], survey=survey, size=4)
    assert SurveyCodeBatch.objects.count() == count


def test_a_survey_counts_for_a_round_only_where_the_round_takes_one(district, campaign):
    """A survey held for a round is the round's 群众评议: the round must be of the
    campaign and still running, count 群众评议, review the same kind of subject,
    and cover the survey's range. Each refusal names the round; nothing is written."""
    from reviews import services
    from reviews.models import ReviewKind

    def round_of(name, organization=district.community):
        return services.round_create(
            user=district.users["office"],
            campaign=campaign,
            kind=ReviewKind.objects.get(campaign=campaign, name=name),
            organization=organization,
            period="2010年",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        )

    members = round_of("党员民主评议")
    units = round_of("党（工）委季度点评")
    members_kind = {"subject_kind": Survey.SubjectKind.MEMBERS}
    cases = [
        (
            units,
            {},
            "评议轮次“2010年党（工）委季度点评”的评议主体中没有“群众评议”，群众评议不能计入",
        ),
        (members, {}, "评议轮次“2010年党员民主评议”评议的是党员，群众评议的对象应与之一致"),
        (
            members,
            {"organization": district.street} | members_kind,
            "“第一街道党工委”不在评议轮次“2010年党员民主评议”的范围（第一社区党委）之内",
        ),
    ]
    for round_, values, message in cases:
        values = {"organization": district.community} | values
        with pytest.raises(SurveyError, match=message):
            make_survey(district, campaign, round_=round_, **values)
    ReviewRound.objects.filter(pk=members.pk).update(state="closed")
    members.refresh_from_db()
    with pytest.raises(SurveyError, match="评议轮次“2010年党员民主评议”已经结束"):
        make_survey(
            district, campaign, organization=district.community, round_=members, **members_kind
        )
    assert not Survey.objects.exists()
    ReviewRound.objects.filter(pk=members.pk).update(state="open")
    members.refresh_from_db()
    survey = make_survey(
        district, campaign, organization=district.community, round_=members, **members_kind
    )
    assert survey.round == members
