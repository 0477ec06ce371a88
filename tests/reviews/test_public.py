"""评议结果公开: a round whose kind publishes to 公开 is readable without a login
once 已公布, and shows grades and composites only: no opinion, no member, no
contact detail, no breakdown by evaluator."""

import datetime as dt

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Review, ReviewKind
from reviews.results import round_results
from reviews.sheets import Entry, grid_save, sheet_save

pytestmark = pytest.mark.django_db


def _round(district, campaign, name, organization, publication="public"):
    kind = ReviewKind.objects.get(campaign=campaign, name=name)
    kind.publication = publication
    kind.save()
    made = services.round_create(
        user=district.users["committee"],
        campaign=campaign,
        kind=kind,
        organization=organization,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    return services.round_open(round_=made, user=district.users["committee"])


def _finish(district, round_, publish=True):
    committee = district.users["committee"]
    round_ = services.round_close(round_=round_, user=committee)
    round_results(round_)
    return services.round_publish(round_=round_, user=committee) if publish else round_


@pytest.fixture
def unit_round(district, campaign):
    """党（工）委季度点评 of the street's units, graded by the committee above."""
    round_ = _round(district, campaign, "党（工）委季度点评", district.street)
    committee = district.users["committee"]
    grades = {district.community: "好", district.branch: "较好", district.sibling: "一般"}
    for unit, grade in grades.items():
        review = Review.objects.get(round=round_, organization=unit, member__isnull=True)
        sheet_save(
            review=review,
            user=committee,
            evaluator="leader",
            entry=Entry({}, grade, f"{unit.name}的点评意见：需加强台账"),
            submit=True,
        )
    return round_


def test_a_published_public_round_shows_grades_and_composites_to_anyone(
    district, unit_round, client
):
    url = reverse("public_review", kwargs={"pk": unit_round.pk})
    assert client.get(url).status_code == 404  # open: nothing public yet
    round_ = _finish(district, unit_round)
    listing = client.get(reverse("public_reviews")).content.decode()
    assert url in listing and "第一街道党工委 · 2010年第四季度党（工）委季度点评" in listing
    page = client.get(url).content.decode()
    assert "好 <strong>1</strong> 个" in page and "较好 <strong>1</strong> 个" in page
    # Best first: 好 (95) before 较好 (85) before 一般 (70).
    assert page.index("第一社区党委") < page.index("第一党支部") < page.index("第二党支部")
    assert "95.00" in page and "85.00" in page
    assert "点评意见" not in page and "需加强台账" not in page
    assert "committee" not in page
    filtered = client.get(url, {"grade": "较好"}).content.decode()
    assert "第一党支部" in filtered and "第二党支部" not in filtered
    # The round's own page offers the public address to the office.
    detail = reverse("reviews:round_detail", kwargs={"pk": round_.pk})
    client.force_login(district.users["committee"])
    assert url in client.get(detail).content.decode()


def test_only_published_rounds_of_a_public_kind_are_public(district, campaign, client):
    closed = _finish(
        district, _round(district, campaign, "党（工）委季度点评", district.street), publish=False
    )
    assert client.get(reverse("public_review", kwargs={"pk": closed.pk})).status_code == 404
    district_only = _finish(
        district,
        _round(district, campaign, "区委领导半年点评", district.street, publication="district"),
    )
    assert client.get(reverse("public_review", kwargs={"pk": district_only.pk})).status_code == 404
    assert client.get(reverse("public_review", kwargs={"pk": 999999})).status_code == 404
    assert str(closed) not in client.get(reverse("public_reviews")).content.decode()


def test_a_public_members_round_shows_counts_per_unit_and_no_member(district, campaign, client):
    round_ = _round(district, campaign, "党员民主评议", district.community)
    reviews = Review.objects.filter(round=round_, organization=district.branch)
    scores = {code: "19" for code in ["1", "2", "3", "4", "5"]}
    grid_save(
        round_=round_,
        unit=district.branch,
        user=district.users["secretary"],
        entries={r.pk: Entry(scores, "", "希望多参加组织生活") for r in reviews},
        submit=True,
    )
    _finish(district, round_)
    page = client.get(reverse("public_review", kwargs={"pk": round_.pk})).content.decode()
    assert "第一党支部" in page and "参评党员" in page
    for review in reviews.select_related("member"):
        assert review.member.name not in page
        assert review.member.number not in page
    assert district.member.mobile not in page and "希望多参加组织生活" not in page
