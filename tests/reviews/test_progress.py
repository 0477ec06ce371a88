"""评议进度: a round's sheets due and submitted, 讲评会 held and grades over a
subtree, per child and per sector (a worked example counted by hand), in the
same number of queries whatever the number of children; who may read it; the
campaign dashboard's links to it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs.models import Organization
from reviews import services
from reviews.meetings import meeting_save
from reviews.models import Review, ReviewKind, ReviewRound
from reviews.progress import round_progress
from reviews.sheets import Entry, grid_save, tally_enter
from tests.factories import MemberFactory, OrganizationFactory, sector

pytestmark = pytest.mark.django_db

CODES = ["1", "2", "3", "4", "5"]  # the 五带头 of licheng, each max 20
GRADES = ["优秀", "合格", "基本合格", "不合格", ""]  # "" is 未评定


def each(score):
    return dict.fromkeys(CODES, score)


def member_round(district, campaign, organization, period="2010年第四季度"):
    kind = ReviewKind.objects.get(campaign=campaign, name="党员民主评议")
    made = services.round_create(
        user=district.users["office"],
        campaign=campaign,
        kind=kind,
        organization=organization,
        period=period,
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    return services.round_open(round_=made, user=district.users["office"])


def meeting(round_, unit, user):
    values = {
        "held_on": dt.date(2010, 12, 5),
        "place": "党员活动室",
        "attendees": 1,
        "public_attendees": 0,
        "minutes": "",
    }
    meeting_save(round_=round_, unit=unit, user=user, values=values)


@pytest.fixture
def world(district, campaign):
    """A 党员民主评议 round on the district: eight members in four units.

    street ─ community (C) ─ branch (member, own_member, A) / sibling (sibling_member, D)
    street2 ─ far_branch (far_member, B), in the 农村 sector; the rest 街道社区.
    """
    Organization.objects.filter(pk=district.far_branch.pk).update(sector=sector("农村"))
    MemberFactory(organization=district.branch, name="甲", number="A001")
    MemberFactory(organization=district.sibling, name="丁", number="D001")
    MemberFactory(organization=district.community, name="丙", number="C001")
    MemberFactory(organization=district.far_branch, name="乙", number="B001")
    round_ = member_round(district, campaign, district.root)

    def review(name):
        return Review.objects.get(round=round_, member__name=name)

    secretary, office = district.users["secretary"], district.users["office"]
    member, own = (
        Review.objects.get(round=round_, member=m) for m in (district.member, district.own_member)
    )
    # The branch: two sheets submitted, 甲's a draft (not submitted); a branch
    # tally for the member as well, who counts once.
    grid_save(
        round_=round_,
        unit=district.branch,
        user=secretary,
        entries={member.pk: Entry(each(18)), own.pk: Entry(each(17))},
        submit=True,
    )
    grid_save(
        round_=round_,
        unit=district.branch,
        user=secretary,
        entries={review("甲").pk: Entry(each(15))},
    )
    tally_enter(review=member, user=secretary, evaluator="branch", ballots=1, totals=each(18))
    # The sibling: the branch's vote on paper for its member; 丁 nothing.
    sibling_member = Review.objects.get(round=round_, member=district.sibling_member)
    tally_enter(
        review=sibling_member,
        user=district.users["sibling_secretary"],
        evaluator="branch",
        ballots=1,
        totals=each(13),
    )
    # The far branch: one sheet; 乙 only a public tally (not the grid's evaluator).
    far = Review.objects.get(round=round_, member=district.far_member)
    grid_save(
        round_=round_,
        unit=district.far_branch,
        user=office,
        entries={far.pk: Entry(each(10))},
        submit=True,
    )
    tally_enter(review=review("乙"), user=office, evaluator="public", ballots=10, totals=each(150))
    meeting(round_, district.branch, secretary)
    meeting(round_, district.far_branch, office)
    return round_


def figures(row):
    return (row.subjects, row.submitted, row.meetings_held, row.meetings_due)


def test_the_worked_example(district, world, django_capture_on_commit_callbacks):
    total, children, sectors = round_progress(world)
    # Sheets submitted: the member (sheet and tally, once), own_member, the
    # sibling's member (tally), the far member; not 甲 (draft), 乙 (public), 丙, 丁.
    # 讲评会: due from the branch, the sibling, the community (丙) and the far branch.
    assert total.label == "合计" and figures(total) == (8, 4, 2, 4)
    assert [(r.label, figures(r)) for r in children] == [
        ("第一街道党工委", (6, 3, 1, 3)),
        ("第二街道党工委", (2, 1, 1, 1)),
    ]
    assert {r.label: figures(r) for r in sectors} == {
        "街道社区": (6, 3, 1, 3),
        "农村": (2, 1, 1, 1),
    }
    assert total.grades is None  # not before the round is closed
    assert total.outstanding == 4 and total.share == 50.0

    with django_capture_on_commit_callbacks(execute=True):
        services.round_close(round_=world, user=district.users["office"])
    closed = ReviewRound.objects.select_related("kind", "organization").get(pk=world.pk)
    total, children, sectors = round_progress(closed)
    # member 90 优秀, own_member 85 合格, sibling's member 65 基本合格, far member
    # 50 不合格, 乙 75 合格 (the public alone); 甲, 丙, 丁 未评定.
    assert list(total.grades) == GRADES
    assert list(total.grades.values()) == [1, 2, 1, 1, 3]
    street, street2 = children
    assert list(street.grades.values()) == [1, 1, 1, 0, 3]
    assert list(street2.grades.values()) == [0, 1, 0, 1, 0]
    assert {r.label: list(r.grades.values()) for r in sectors} == {
        "街道社区": [1, 1, 1, 0, 3],
        "农村": [0, 1, 0, 1, 0],
    }

    # One level down: the community's two branches; 丙 counts in the total only.
    total, children, _ = round_progress(closed, district.community)
    assert figures(total) == (6, 3, 1, 3)
    assert [(r.label, figures(r)) for r in children] == [
        ("第一党支部", (3, 2, 1, 1)),
        ("第二党支部", (2, 1, 0, 1)),
    ]

    street_round = member_round(district, world.campaign, district.street, period="2011年第一季度")
    with pytest.raises(ValueError):
        round_progress(street_round, district.street2)


def test_the_page_for_the_office_and_a_committee(district, world, login):
    url = reverse("reviews:progress", kwargs={"pk": world.pk})
    response = login(district.users["office"]).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "评议进度：中共测试区委" in page and "按下级组织" in page and "按领域" in page
    assert f"{url}?organization={district.street.pk}" in page  # a child's own page
    detail = login(district.users["office"]).get(
        reverse("reviews:round_detail", kwargs={"pk": world.pk})
    )
    assert url in detail.content.decode()
    # The committee reviews the street only: its page starts there, its
    # community's page is one level down; the root and the other street are 404.
    committee = login(district.users["committee"])
    response = committee.get(url)
    assert response.status_code == 200 and response.context["unit"] == district.street
    assert figures(response.context["total"]) == (6, 3, 1, 3)
    detail = committee.get(reverse("reviews:round_detail", kwargs={"pk": world.pk}))
    assert f"{url}?organization={district.street.pk}" in detail.content.decode()
    response = committee.get(url, {"organization": district.community.pk})
    assert [(r.label, figures(r)) for r in response.context["children"]] == [
        ("第一党支部", (3, 2, 1, 1)),
        ("第二党支部", (2, 1, 0, 1)),
    ]
    assert f"{url}?organization={district.street.pk}" in response.content.decode()  # 上一级
    for outside in (district.street2.pk, district.root.pk, "x"):
        assert committee.get(url, {"organization": outside}).status_code == 404


def test_secretaries_and_outsiders_are_refused(district, world, login):
    url = reverse("reviews:progress", kwargs={"pk": world.pk})
    secretary = login(district.users["secretary"])
    assert secretary.get(url).status_code == 403
    assert secretary.get(url, {"organization": district.branch.pk}).status_code == 403
    assert secretary.get(url, {"organization": district.sibling.pk}).status_code == 404
    assert (
        "评议进度"
        not in secretary.get(
            reverse("reviews:round_detail", kwargs={"pk": world.pk})
        ).content.decode()
    )
    assert login(district.users["no_role"]).get(url).status_code == 404


def test_an_organisation_round_counts_the_leaders_grid_and_holds_no_meeting(
    district, campaign, login
):
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
    branch = Review.objects.get(round=round_, organization=district.branch)
    grid_save(
        round_=round_,
        unit=district.community,
        user=committee,
        entries={branch.pk: Entry({}, grade="较好")},
        submit=True,
    )
    total, children, _ = round_progress(round_)
    # Subjects: the street, the community and its two branches; one 点评 in.
    assert (total.subjects, total.submitted, total.meetings_due) == (4, 1, None)
    assert [(r.label, r.subjects, r.submitted) for r in children] == [("第一社区党委", 3, 1)]
    page = login(committee).get(reverse("reviews:progress", kwargs={"pk": round_.pk}))
    assert '<td class="num" data-label="讲评会">—</td>' in page.content.decode()


def test_the_queries_do_not_grow_with_the_children(district, campaign):
    def counted(round_):
        round_ = ReviewRound.objects.select_related("kind", "organization").get(pk=round_.pk)
        ReviewRound.objects.filter(pk=round_.pk).update(state="closed")
        round_.state = "closed"
        with CaptureQueriesContext(connection) as queries:
            _, children, _ = round_progress(round_)
        return len(queries), len(children)

    few = member_round(district, campaign, district.community)
    meeting(few, district.branch, district.users["secretary"])
    few_queries, n_few = counted(few)
    for i in range(4):
        unit = OrganizationFactory(code=f"R-S1-C1-X{i}", parent=district.community)
        MemberFactory(organization=unit)
        MemberFactory(organization=unit)
    district.community.refresh_from_db()
    many = member_round(district, campaign, district.community, period="2011年第一季度")
    meeting(many, district.branch, district.users["secretary"])
    many_queries, n_many = counted(many)
    assert (n_few, n_many) == (2, 6)
    assert few_queries == many_queries


def test_the_campaign_dashboard_links_to_the_rounds_progress(district, world, campaign, login):
    inside = member_round(district, campaign, district.community, period="2011年第一季度")
    progress = reverse("reviews:progress", kwargs={"pk": world.pk})
    dashboard = reverse("campaign:dashboard", kwargs={"pk": district.street.pk})
    page = login(district.users["committee"]).get(dashboard).content.decode()
    assert "评议进度" in page
    # The district round for the street's part of it; the community's round whole.
    assert f"{progress}?organization={district.street.pk}" in page
    assert "2010年第四季度党员民主评议（进行中）" in page
    inside_url = reverse("reviews:progress", kwargs={"pk": inside.pk})
    assert f'href="{inside_url}"' in page and "· 第一社区党委" in page
    # The secretary's branch dashboard has no such list: it reviews nothing.
    branch = reverse("campaign:dashboard", kwargs={"pk": district.branch.pk})
    page = login(district.users["secretary"]).get(branch).content.decode()
    assert progress not in page
