"""群众评议 pages: the public answer page (no login, every bad code a clear page,
never a 500, nothing leaked) and the staff pages (scope checked; opinions only
for the subject's parent)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Job
from reviews import surveys
from reviews.models_surveys import SurveyResponse, SurveySubject, SurveyTally
from tests.reviews.test_surveys import TODAY, issue, make_survey, subject_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture
def coded(district, campaign):
    survey = make_survey(district, campaign)
    subject = subject_of(survey, district.branch)
    batch, codes = issue(subject, 3)
    return survey, subject, batch, codes


def test_a_visitor_answers_with_a_code_once(client, coded):
    survey, subject, _batch, codes = coded
    url = reverse("survey_code", args=[surveys.printed(codes[0])])
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "第一党支部" in text and "党性观念强不强" in text
    done = client.post(url, {"q0": "0", "q1": "1", "q2": "0", "opinion": "希望多走访"})
    assert done.status_code == 200 and "感谢您的参与" in done.content.decode()
    assert SurveyResponse.objects.get().answers == [0, 1, 0]
    again = client.post(url, {"q0": "2", "q1": "2", "q2": "2"})
    assert again.status_code == 200 and "已经使用过" in again.content.decode()
    assert SurveyResponse.objects.count() == 1
    assert "已经使用过" in client.get(url).content.decode()


def test_typed_codes_in_any_case_with_spaces_reach_the_form(client, coded):
    _survey, _subject, _batch, codes = coded
    typed = " ".join(surveys.printed(codes[1]).lower().split("-"))
    page = client.get(reverse("survey_answer"), {"code": typed})
    assert page.status_code == 302
    assert page["Location"] == reverse("survey_code", args=[surveys.printed(codes[1])])
    lower = client.get(reverse("survey_code", args=[codes[1].lower()]))
    assert lower.status_code == 302


def test_bad_codes_get_clear_pages_never_a_500(client, coded, district):
    _survey, _subject, batch, codes = coded
    unknown = client.get(reverse("survey_code", args=[surveys.printed(surveys.new_codes(1)[0])]))
    assert unknown.status_code == 404 and "没有这个评议码" in unknown.content.decode()
    mistyped = client.get(reverse("survey_answer"), {"code": "ABCD-0000-1111"})
    assert mistyped.status_code == 400 and "0 1" in mistyped.content.decode()
    short = client.get(reverse("survey_code", args=["ABCD-EFGH"]))
    assert short.status_code == 400 and "应为 13 位" in short.content.decode()
    incomplete = client.post(reverse("survey_code", args=[codes[2]]), {"q0": "0", "q1": "x"})
    assert incomplete.status_code == 400 and "第 2 项" in incomplete.content.decode()
    surveys.batch_void(user=district.users["office"], batch=batch)
    void = client.get(reverse("survey_code", args=[surveys.printed(codes[2])]))
    assert void.status_code == 410 and "已作废" in void.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_flood_of_guesses_is_throttled(client, coded, settings):
    settings.SURVEY_CODE_FAILURE_LIMIT = 5
    _survey, _subject, _batch, codes = coded
    statuses = [
        client.get(reverse("survey_code", args=[surveys.printed(guess)])).status_code
        for guess in surveys.new_codes(7)
    ]
    assert statuses == [404] * 5 + [429] * 2
    held = client.get(reverse("survey_code", args=[surveys.printed(codes[0])]))
    assert held.status_code == 429 and "次数过多" in held.content.decode()


def test_the_public_pages_leak_nothing(client, coded, district):
    survey, subject, _batch, codes = coded
    surveys.answer(typed=codes[0], answers=[2, 2, 2], opinion="秘密的意见内容", address="x")
    district.member.mobile = "13912345678"
    district.member.save()
    digests = list(subject.batches.first().codes.values_list("digest", flat=True))
    pages = [
        (client.get(reverse("survey_answer")), None),
        (client.get(reverse("survey_code", args=[surveys.printed(codes[1])])), codes[1]),
        (client.get(reverse("survey_code", args=[surveys.printed(codes[0])])), codes[0]),
        (
            client.post(reverse("survey_code", args=[codes[2]]), {"q0": "0", "q1": "0", "q2": "0"}),
            codes[2],
        ),
    ]
    for page, own in pages:
        text = page.content.decode()
        assert "秘密的意见内容" not in text and "13912345678" not in text
        assert district.member.name not in text
        assert not any(d in text for d in digests)
        # No code appears but the one in the visitor's own address bar.
        shown = {c for c in codes if c in text or surveys.printed(c) in text}
        assert shown <= ({own} if own else set())


# ------------------------------------------------------------------ staff pages


def test_the_office_creates_a_survey_and_issues_slips(
    district, campaign, login, django_capture_on_commit_callbacks
):
    client = login(district.users["office"])
    page = client.post(
        reverse("reviews:survey_new"),
        {
            "campaign": campaign.pk,
            "organization": district.root.pk,
            "title": "2026年度群众评议",
            "opens_on": "2026-12-01",
            "closes_on": "2026-12-20",
            "target": "90",
            "questions": "党性观念强不强\n联系服务群众够不够\n发挥先锋模范作用明显不明显",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    survey = district.root.pk and SurveySubject.objects.first().survey
    subject = SurveySubject.objects.get(survey=survey, organization=district.branch)
    with django_capture_on_commit_callbacks(execute=True):
        issued = client.post(reverse("reviews:survey_issue", args=[subject.pk]), {"size": "20"})
    job = Job.objects.get(kind="survey_slips")
    assert issued["Location"] == reverse("core:job_detail", kwargs={"pk": job.pk})
    assert job.status == Job.Status.SUCCEEDED, job.error
    download = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    detail = client.get(reverse("reviews:survey_detail", args=[survey.pk])).content.decode()
    assert "第一党支部" in detail and "20 个（已发放）" in detail
    # Others may not have the slips.
    sibling = login(district.users["sibling_secretary"])
    assert sibling.get(reverse("core:job_download", kwargs={"pk": job.pk})).status_code in (
        403,
        404,
    )


def test_the_unit_enters_its_paper_tally_and_bad_sums_are_refused(district, campaign, login):
    survey = make_survey(district, campaign)
    subject = subject_of(survey, district.branch)
    client = login(district.users["secretary"])
    url = reverse("reviews:survey_tally", args=[subject.pk])
    assert client.get(url).status_code == 200
    values = {"held_on": "2026-12-02", "attendees": "20", "forms_count": "18"}
    for q, row in enumerate([[10, 5, 2, 1], [12, 4, 2, 0], [9, 6, 3, 1]]):
        for c, n in enumerate(row):
            values[f"q{q}_{c}"] = str(n)
    refused = client.post(url, values)
    assert refused.status_code == 400 and "第 3 项" in refused.content.decode()
    assert not SurveyTally.objects.exists()
    values["q2_3"] = "0"
    assert client.post(url, values)["Location"] == url
    first = SurveyTally.objects.get()
    assert first.forms == 18
    # A second meeting is entered beside it; the page lists both.
    values.update({"attendees": "6", "forms_count": "5", "q0_0": "5", "q0_1": "0", "q0_2": "0"})
    values.update({"q0_3": "0", "q1_3": "0", "q2_3": "0"})
    values.update({"q1_0": "5", "q1_1": "0", "q1_2": "0", "q2_0": "5", "q2_1": "0", "q2_2": "0"})
    assert client.post(url, values).status_code == 302
    assert sorted(SurveyTally.objects.values_list("forms", flat=True)) == [5, 18]
    page = client.get(url).content.decode()
    assert "共 2 次评议会" in page and f"?tally={first.pk}" in page
    # Correcting the first one keeps two.
    values.update({"attendees": "20", "forms_count": "17", "q0_0": "9", "q1_0": "11", "q2_0": "8"})
    values.update({"q0_1": "5", "q0_2": "2", "q0_3": "1", "q1_1": "4", "q1_2": "2", "q1_3": "0"})
    values.update({"q2_1": "6", "q2_2": "3", "q2_3": "0"})
    assert client.post(f"{url}?tally={first.pk}", values).status_code == 302
    first.refresh_from_db()
    assert first.forms == 17 and SurveyTally.objects.count() == 2
    other = login(district.users["sibling_secretary"])
    assert other.get(url).status_code == 404
    sibling = subject_of(survey, district.sibling)
    sibling_url = reverse("reviews:survey_tally", args=[sibling.pk])
    office = login(district.users["office"])
    assert office.get(f"{sibling_url}?tally={first.pk}").status_code == 404


def test_opinions_are_for_the_subjects_parent_only(district, campaign, login, coded):
    survey, subject, _batch, codes = coded
    surveys.answer(typed=codes[0], answers=[0, 0, 0], opinion="建议多开会", address="x")
    url = reverse("reviews:survey_opinions", args=[subject.pk])
    assert "建议多开会" in login(district.users["committee"]).get(url).content.decode()
    assert login(district.users["secretary"]).get(url).status_code == 404
    assert login(None).get(url).status_code == 302


def test_the_branch_is_told_to_enter_its_paper_forms_until_it_has(district, campaign, login):
    from reviews.hooks import survey_tallies_waiting

    survey = make_survey(district, campaign)
    subject = subject_of(survey, district.branch)
    lines = survey_tallies_waiting(district.users["secretary"])
    assert [line.url for line in lines] == [reverse("reviews:survey_tally", args=[subject.pk])]
    assert survey_tallies_waiting(district.users["sibling_secretary"])[0].url != lines[0].url
    client = login(district.users["secretary"])
    assert (
        reverse("reviews:survey_tally", args=[subject.pk])
        in client.get(reverse("home")).content.decode()
    )
    surveys.tally_save(
        user=district.users["secretary"],
        subject=subject,
        attendees=5,
        forms=5,
        counts=[[5, 0, 0, 0]] * 3,
        held_on=TODAY,
    )
    assert survey_tallies_waiting(district.users["secretary"]) == []
    assert (
        reverse("reviews:survey_tally", args=[subject.pk])
        not in client.get(reverse("home")).content.decode()
    )


def test_the_parent_opens_a_rectification_from_the_opinions_and_each_links_to_the_other(
    district, campaign, login, coded
):
    from reviews.models_rectify import Rectification

    survey, subject, _batch, codes = coded
    opinions_url = reverse("reviews:survey_opinions", args=[subject.pk])
    open_url = reverse(
        "reviews:rectify_open", kwargs={"kind": "survey_opinion", "source_id": subject.pk}
    )
    client = login(district.users["committee"])
    # No opinion yet: no button, and the source says there is nothing to act on.
    assert open_url not in client.get(opinions_url).content.decode()
    assert "没有可据以整改的群众意见" in client.get(open_url, follow=True).content.decode()
    surveys.answer(typed=codes[0], answers=[2, 2, 2], opinion="办事要更公开", address="x")
    assert open_url in client.get(opinions_url).content.decode()
    assert "办事要更公开" in client.get(open_url).content.decode()
    client.post(open_url, {"description": "落实党务公开", "due_on": "2026-12-31"})
    item = Rectification.objects.get()
    assert item.organization == district.branch and item.source_kind == "survey_opinion"
    assert "办事要更公开" in item.source_text and item.campaign == survey.campaign
    detail_url = reverse("reviews:rectify_detail", kwargs={"pk": item.pk})
    assert detail_url in client.get(opinions_url).content.decode()
    assert f'href="{opinions_url}"' in client.get(detail_url).content.decode()
    # The subject's own secretary reads no opinions, so cannot open from them either.
    assert login(district.users["secretary"]).get(open_url).status_code == 404


def test_the_office_surveys_members_issues_every_subjects_codes_and_the_branch_tallies(
    district, campaign, login, django_capture_on_commit_callbacks
):
    """A survey of members set up on the page: the office issues every member's
    codes in one job; the branch secretary's 待办 counts the members whose paper
    forms are missing and the tally page lists them to go from one to the next."""
    office = login(district.users["office"])
    created = office.post(
        reverse("reviews:survey_new"),
        {
            "campaign": campaign.pk,
            "organization": district.root.pk,
            "title": "2026年度党员群众评议",
            "subject_kind": "members",
            "opens_on": "2026-12-01",
            "closes_on": "2026-12-20",
            "target": "90",
            "questions": "党性观念强不强\n联系服务群众够不够\n发挥先锋模范作用明显不明显",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    survey = SurveySubject.objects.filter(member=district.member).get().survey
    detail = office.get(reverse("reviews:survey_detail", args=[survey.pk])).content.decode()
    assert district.member.name in detail and district.member.mobile not in detail
    assert "<th>基本满意</th>" in detail  # the answers head the summary's columns
    assert f"还有 {survey.subjects.count()} 个评议对象未发放评议码" in detail
    with django_capture_on_commit_callbacks(execute=True):
        issued = office.post(reverse("reviews:survey_issue_all", args=[survey.pk]), {"size": "2"})
    job = Job.objects.get(kind="survey_slips_all")
    assert issued["Location"] == reverse("core:job_detail", kwargs={"pk": job.pk})
    assert job.status == Job.Status.SUCCEEDED, job.error
    detail = office.get(reverse("reviews:survey_detail", args=[survey.pk])).content.decode()
    assert "未发放评议码" not in detail

    secretary = login(district.users["secretary"])
    home = secretary.get(reverse("home")).content.decode()
    in_branch = survey.subjects.filter(organization=district.branch).count()
    assert f"{in_branch} 名党员的纸质评议结果待录入" in home
    mine = SurveySubject.objects.get(survey=survey, member=district.member)
    other = SurveySubject.objects.get(survey=survey, member=district.own_member)
    page = secretary.get(reverse("reviews:survey_tally", args=[mine.pk])).content.decode()
    assert reverse("reviews:survey_tally", args=[other.pk]) in page
    assert f'value="{TODAY.isoformat()}"' in page  # the date box shows today
    # The member whose record it is may not enter it.
    assert (
        login(district.users["member"])
        .get(reverse("reviews:survey_tally", args=[mine.pk]))
        .status_code
        == 404
    )


def test_the_new_survey_page_offers_the_rounds_that_count_a_public_review(
    district, campaign, login
):
    """计入评议轮次: only running rounds whose kind has 群众评议 are offered; the
    survey made for one says so on its page, and a round not offered is refused."""
    import datetime as dt

    from reviews import services
    from reviews.models import ReviewKind
    from reviews.models_surveys import Survey

    def round_of(name):
        return services.round_create(
            user=district.users["office"],
            campaign=campaign,
            kind=ReviewKind.objects.get(campaign=campaign, name=name),
            organization=district.community,
            period="2010年",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        )

    members, units = round_of("党员民主评议"), round_of("党（工）委季度点评")
    client = login(district.users["office"])
    url = reverse("reviews:survey_new")
    page = client.get(url).content.decode()
    assert "计入评议轮次" in page
    assert f'<option value="{members.pk}">' in page and f'<option value="{units.pk}">' not in page
    data = {
        "campaign": campaign.pk,
        "organization": district.community.pk,
        "title": "2026年党员群众评议",
        "subject_kind": Survey.SubjectKind.MEMBERS,
        "opens_on": "2026-12-01",
        "closes_on": "2026-12-20",
        "target": "90",
        "questions": "党性观念强不强",
    }
    refused = client.post(url, data | {"round": units.pk})
    assert refused.status_code == 400 and not Survey.objects.exists()
    made = client.post(url, data | {"round": members.pk}, follow=True)
    survey = Survey.objects.get()
    assert survey.round == members
    assert "计入评议轮次" in made.content.decode() and "2010年党员民主评议" in made.content.decode()
