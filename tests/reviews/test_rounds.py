"""Review rounds: created on a subtree by the office or a committee, opened with
a Review for every subject that takes part, closed, published, reopened by the
admin only; the campaign's cadence opens a district round in one action."""

import datetime as dt

import pytest
from django.urls import reverse

from campaign.models import Milestone
from core.models import AuditEntry
from orgs.models import Member
from reviews import services
from reviews.models import Review, ReviewKind, ReviewRound
from reviews.selectors import rounds_for
from tests.factories import MemberFactory, OrganizationFactory, sector

pytestmark = pytest.mark.django_db

D = dt.date


def kind(campaign, name):
    return ReviewKind.objects.get(campaign=campaign, name=name)


def new_round(
    district, campaign, name="党员民主评议", organization=None, user="committee", **values
):
    return services.round_create(
        user=district.users[user],
        campaign=campaign,
        kind=kind(campaign, name),
        organization=organization or district.street,
        period=values.pop("period", "2010年第四季度"),
        opens_on=values.pop("opens_on", D(2010, 12, 1)),
        closes_on=values.pop("closes_on", D(2010, 12, 31)),
    )


def test_opening_creates_a_review_for_every_member_of_the_subtree(district, campaign):
    round_ = new_round(district, campaign)
    assert round_.state == ReviewRound.State.DRAFT and not Review.objects.exists()
    round_ = services.round_open(round_=round_, user=district.users["committee"])
    assert round_.state == ReviewRound.State.OPEN and round_.opened_at is not None
    in_street = set(
        Member.objects.filter(organization__tree_id=district.street.tree_id)
        .filter(
            organization__lft__gte=district.street.lft, organization__lft__lt=district.street.rght
        )
        .values_list("pk", flat=True)
    )
    reviewed = set(Review.objects.filter(round=round_).values_list("member_id", flat=True))
    assert reviewed == in_street and district.far_member.pk not in reviewed
    assert AuditEntry.objects.filter(object_id=str(round_.pk), verb="open").exists()


def test_an_organisation_round_reviews_the_units_that_take_part(district, campaign):
    round_ = new_round(district, campaign, "党（工）委季度点评", organization=district.street)
    services.round_open(round_=round_, user=district.users["committee"])
    units = set(Review.objects.filter(round=round_).values_list("organization__code", flat=True))
    assert units == {"R-S1", "R-S1-C1", "R-S1-C1-B1", "R-S1-C1-B2"}
    assert not Review.objects.filter(round=round_, member__isnull=False).exists()


def test_participation_scope_applies_to_rounds(district, campaign):
    campaign.participating_sectors.set([sector("机关")])
    jiguan = OrganizationFactory(
        code="R-S1-J", name="机关支部", parent=district.street, sector=sector("机关")
    )
    MemberFactory(organization=jiguan)
    campaign = type(campaign).objects.get(pk=campaign.pk)  # participation read afresh
    round_ = new_round(district, campaign)
    round_.campaign = campaign
    services.round_open(round_=round_, user=district.users["committee"])
    assert set(Review.objects.values_list("organization__code", flat=True)) == {"R-S1-J"}


def test_only_reviewers_of_the_subtree_create_rounds(district, campaign):
    with pytest.raises(
        services.ReviewError, match="只有活动办公室或上级党组织可以在“第一街道党工委”开展评议"
    ):
        new_round(district, campaign, user="secretary")
    with pytest.raises(services.ReviewError, match="可以在“第二街道党工委”开展评议"):
        new_round(district, campaign, organization=district.street2)
    assert not ReviewRound.objects.exists()


def test_bad_dates_and_a_second_round_for_the_period_are_refused(district, campaign):
    with pytest.raises(
        services.ReviewError, match="截止日期（2010年11月1日）早于开始日期（2010年12月1日）"
    ):
        new_round(district, campaign, closes_on=D(2010, 11, 1))
    with pytest.raises(services.ReviewError, match="不在活动的起止日期"):
        new_round(district, campaign, opens_on=D(2009, 1, 1))
    new_round(district, campaign)
    with pytest.raises(
        services.ReviewError, match="“第一街道党工委”已有2010年第四季度的“党员民主评议”"
    ):
        new_round(district, campaign)
    assert ReviewRound.objects.count() == 1


def test_close_publish_and_only_the_admin_reopens_with_a_reason(district, campaign):
    committee, admin = district.users["committee"], district.users["admin"]
    round_ = services.round_open(round_=new_round(district, campaign), user=committee)
    round_ = services.round_close(round_=round_, user=committee)
    assert round_.state == ReviewRound.State.CLOSED and round_.closed_at is not None
    with pytest.raises(services.ReviewError, match="只有系统管理员可以重新开启已结束的评议"):
        services.round_reopen(round_=round_, user=committee, reason="补录")
    with pytest.raises(services.ReviewError, match="重新开启必须填写理由"):
        services.round_reopen(round_=round_, user=admin, reason=" ")
    round_ = services.round_reopen(round_=round_, user=admin, reason="补录纸质票")
    assert round_.state == ReviewRound.State.OPEN and round_.reopen_reason == "补录纸质票"
    assert round_.closed_at is None
    assert AuditEntry.objects.filter(object_id=str(round_.pk), verb="reopen").count() == 1
    round_ = services.round_close(round_=round_, user=committee)
    round_ = services.round_publish(round_=round_, user=committee)
    assert round_.state == ReviewRound.State.PUBLISHED
    reviews = Review.objects.filter(round=round_).count()
    assert (
        reviews
        == Member.objects.filter(organization__in=[district.branch, district.sibling]).count()
    )


def test_the_cadence_opens_a_district_round_in_one_action(district, campaign, login):
    milestone = Milestone.objects.get(campaign=campaign, name="2010年第三季度党（工）委集中点评")
    client = login(district.users["office"])
    page = client.get(
        reverse("reviews:cadence", kwargs={"campaign_pk": campaign.pk})
    ).content.decode()
    assert "2010年第三季度党（工）委集中点评" in page and "党（工）委季度点评（未开启）" in page
    response = client.post(reverse("reviews:cadence_open", kwargs={"pk": milestone.pk}))
    assert response.status_code == 302
    round_ = ReviewRound.objects.get()
    assert (round_.period, round_.organization, round_.state) == (
        "2010年第三季度",
        district.root,
        ReviewRound.State.OPEN,
    )
    assert round_.closes_on == milestone.date == D(2010, 9, 30)
    assert round_.opens_on == D(2010, 8, 31)  # round_days (30) before the milestone
    assert Review.objects.filter(round=round_).count() == 6  # every unit but the root
    client.post(reverse("reviews:cadence_open", kwargs={"pk": milestone.pk}))
    assert ReviewRound.objects.count() == 1  # a second click opens nothing more


def test_branches_see_the_rounds_that_cover_them_and_nothing_else(district, campaign):
    street_round = new_round(district, campaign)
    other = new_round(
        district, campaign, organization=district.street2, user="office", period="2010年第四季度"
    )
    assert list(rounds_for(district.users["secretary"])) == [street_round]
    assert set(rounds_for(district.users["office"])) == {street_round, other}
    assert list(rounds_for(district.users["member"])) == []
    assert list(rounds_for(district.users["no_role"])) == []


def test_the_round_page_offers_the_moves_its_viewer_may_make(district, campaign, login):
    round_ = new_round(district, campaign)
    url = reverse("reviews:round_detail", kwargs={"pk": round_.pk})
    assert "开启评议" in login(district.users["committee"]).get(url).content.decode()
    page = login(district.users["secretary"]).get(url).content.decode()
    assert "开启评议" not in page and "党员民主评议" in page
    response = login(district.users["committee"]).post(
        reverse("reviews:round_open", kwargs={"pk": round_.pk})
    )
    assert response.status_code == 302
    assert ReviewRound.objects.get().state == ReviewRound.State.OPEN


def test_a_new_round_from_the_page(district, campaign, login):
    client = login(district.users["committee"])
    url = reverse("reviews:round_new")
    assert client.get(url).status_code == 200
    data = {
        "kind": kind(campaign, "党员民主评议").pk,
        "organization": district.street.pk,
        "period": "2011年第一季度",
        "opens_on": "2011-03-01",
        "closes_on": "2011-02-01",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "截止日期（2011年2月1日）早于开始日期（2011年3月1日）" in response.content.decode()
    response = client.post(url, data | {"closes_on": "2011-03-31"})
    assert response.status_code == 302
    assert ReviewRound.objects.get().period == "2011年第一季度"
    assert login(district.users["secretary"]).get(url).status_code == 403


def test_seed_reviews_leaves_a_published_round_with_results_and_an_open_one(district):
    import io

    from django.core.management import call_command

    from campaign.seeds import seed_data

    for guidance in seed_data("licheng")["sector_guidance"]:
        sector(guidance["sector"])
    out = io.StringIO()
    call_command("load_campaign", "licheng", "--root", "R", "--today-in-phase", "2", stdout=out)
    call_command("seed_reviews", "--root", "R", "--unit", "R-S1", stdout=out)
    published = ReviewRound.objects.get(state=ReviewRound.State.PUBLISHED)
    assert published.kind.subject == "member"
    assert (
        Review.objects.filter(round=published, composite__isnull=False).count()
        == (Review.objects.filter(round=published).count())
        > 0
    )
    assert ReviewRound.objects.filter(state=ReviewRound.State.OPEN).exists(), out.getvalue()
    call_command("seed_reviews", "--root", "R", "--unit", "R-S1", stdout=out)
    assert "已有评议，跳过" in out.getvalue()


def test_a_large_round_is_opened_by_a_job(
    district, campaign, login, settings, django_capture_on_commit_callbacks
):
    from core.models import Job

    settings.REVIEW_OPEN_INLINE_MAX = 2  # the street has more members than this
    round_ = new_round(district, campaign)
    subjects = services.subject_count(round_)
    assert subjects > 2
    client = login(district.users["committee"])
    open_url = reverse("reviews:round_open", kwargs={"pk": round_.pk})
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(open_url)
    assert response.status_code == 302
    job = Job.objects.get(kind="review_open")
    assert job.params == {"round": round_.pk, "subjects": subjects}
    round_.refresh_from_db()
    assert round_.state == ReviewRound.State.DRAFT and not Review.objects.exists()
    # While it waits, the round's page says so and offers no second 开启 …
    page = client.get(reverse("reviews:round_detail", kwargs={"pk": round_.pk})).content.decode()
    assert (
        f"正在后台开启：为 {subjects} 个评议对象建立评议" in page
        and "开启评议</button>" not in page
    )
    # … and a second click is refused, not queued twice.
    response = client.post(open_url, follow=True)
    assert "正在后台开启，请稍候" in response.content.decode()
    assert Job.objects.filter(kind="review_open").count() == 1
    for callback in queued:
        callback()  # the worker takes the job
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result == {"round": round_.pk, "subjects": subjects}
    round_.refresh_from_db()
    assert round_.state == ReviewRound.State.OPEN
    assert Review.objects.filter(round=round_).count() == subjects
    assert AuditEntry.objects.filter(object_id=str(round_.pk), verb="open").count() == 1


def test_an_opening_job_refuses_up_front_and_ends_when_the_round_is_already_open(
    district, campaign, settings, django_capture_on_commit_callbacks
):
    from core.jobs import job_run, job_start
    from core.models import Job

    settings.REVIEW_OPEN_INLINE_MAX = 0
    round_ = new_round(district, campaign)
    with pytest.raises(services.ReviewError, match="只有活动办公室或上级党组织可以开启评议"):
        services.round_open_start(round_=round_, user=district.users["secretary"])
    assert not Job.objects.exists()
    # Opened meanwhile (another user's job, the inline path): the job ends done.
    with django_capture_on_commit_callbacks(execute=False):
        job = job_start(
            kind="review_open", user=district.users["office"], params={"round": round_.pk}
        )
    services.round_open(round_=round_, user=district.users["committee"])
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result["state"] == "open"
    with pytest.raises(services.ReviewError, match="当前为“进行中”，不能开启"):
        services.round_open_start(round_=round_, user=district.users["committee"])
    # A job by someone who lost the right fails with the reason, writing nothing.
    other = new_round(district, campaign, period="2011年第一季度")
    with django_capture_on_commit_callbacks(execute=False):
        job = job_start(
            kind="review_open", user=district.users["secretary"], params={"round": other.pk}
        )
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "只有活动办公室或上级党组织可以开启评议" in job.error
    assert not Review.objects.filter(round=other).exists()
