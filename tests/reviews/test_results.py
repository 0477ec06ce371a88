"""Sheets, paper tallies and results: a worked example computed by hand (three
evaluator kinds, one missing, one below the minimum, a tie), the rules a sheet
must keep, the grid in constant queries, and anonymity in the audit trail."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry
from reviews import services
from reviews.models import Review, ReviewKind, ReviewRound, ScoreSheet
from reviews.results import competition_ranks, round_results
from reviews.sheets import Entry, grid_save, sheet_save, tally_enter
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

CODES = ["1", "2", "3", "4", "5"]  # the 五带头 of licheng, each weight 20, max 20


@pytest.fixture
def world(district, campaign):
    kind = ReviewKind.objects.get(campaign=campaign, name="党员民主评议")
    assert [c.code for c in kind.rubric.criteria.all()] == CODES
    branch = district.branch
    a = MemberFactory(organization=branch, name="甲", number="A001")
    b = MemberFactory(organization=branch, name="乙", number="A002")
    c = MemberFactory(organization=branch, name="丙", number="A003")
    d = MemberFactory(organization=branch, name="丁", number="A004")
    peers = []
    for n in range(3):
        user = UserFactory(username=f"peer{n}")
        MemberFactory(organization=branch, name=f"互评{n}", number=f"P00{n}", user=user)
        peers.append(user)
    round_ = services.round_create(
        user=district.users["committee"],
        campaign=campaign,
        kind=kind,
        organization=district.community,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    round_ = services.round_open(round_=round_, user=district.users["committee"])
    reviews = {m.name: Review.objects.get(round=round_, member=m) for m in (a, b, c, d)}
    return district, round_, reviews, peers


def scores(*values):
    return dict(zip(CODES, values, strict=True))


def test_the_worked_example(world):
    district, round_, reviews, peers = world
    secretary = district.users["secretary"]
    # 甲: branch 20+18+16+14+12 = 80; peers 100, 75, 50 → 75; public tally 10 ballots,
    # 180 per criterion (a mean of 18 of 20) → 90. Composite (40×75 + 30×80 + 30×90)/100 = 81.
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
    for user, each in zip(peers, (20, 15, 10), strict=True):
        sheet_save(
            review=reviews["甲"],
            user=user,
            evaluator="peer",
            entry=Entry(scores(*[each] * 5)),
            submit=True,
        )
    tally_enter(
        review=reviews["甲"],
        user=secretary,
        evaluator="public",
        ballots=10,
        totals=dict.fromkeys(CODES, 180),
    )
    # 乙: only two peers (below the minimum of 3): left out, so the branch's 100 alone.
    for user in peers[:2]:
        sheet_save(
            review=reviews["乙"],
            user=user,
            evaluator="peer",
            entry=Entry(scores(*[10] * 5)),
            submit=True,
        )
    # 丙: the branch's 81 alone, tying 甲. 丁: nothing at all.

    assert round_results(round_) == Review.objects.filter(round=round_).count()
    a, b, c, d = (Review.objects.get(pk=reviews[n].pk) for n in "甲乙丙丁")
    assert a.composite == Decimal("81.00") and a.grade == "合格"
    assert a.breakdown == {
        "peer": {"n": 3, "weight": 40, "shown": True, "mean": "75.00", "used_weight": "40.00"},
        "branch": {"n": 1, "weight": 30, "shown": True, "mean": "80.00", "used_weight": "30.00"},
        "public": {"n": 10, "weight": 30, "shown": True, "mean": "90.00", "used_weight": "30.00"},
    }
    assert b.composite == Decimal("100.00") and b.grade == "优秀"
    assert b.breakdown["peer"] == {"n": 2, "weight": 40, "shown": False}  # no mean kept
    assert b.breakdown["branch"]["used_weight"] == "100.00"  # renormalised, shown
    assert c.composite == Decimal("81.00") and c.grade == "合格"
    assert d.composite is None and d.grade == "" and d.rank_in_parent is None
    assert (b.rank_in_parent, a.rank_in_parent, c.rank_in_parent) == (1, 2, 2)
    assert (b.rank_in_sector, a.rank_in_sector, c.rank_in_sector) == (1, 2, 2)
    # Recomputing changes nothing.
    round_results(round_)
    assert Review.objects.get(pk=a.pk).breakdown == a.breakdown


def test_competition_ranks_share_a_rank_and_skip():
    assert competition_ranks({1: Decimal(90), 2: Decimal(80), 3: Decimal(80), 4: Decimal(70)}) == {
        1: 1,
        2: 2,
        3: 2,
        4: 4,
    }


def test_closing_the_round_computes_the_results(world, django_capture_on_commit_callbacks):
    district, round_, reviews, _ = world
    grid_save(
        round_=round_,
        unit=district.branch,
        user=district.users["secretary"],
        entries={reviews["乙"].pk: Entry(scores(20, 20, 20, 20, 20))},
        submit=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.round_close(round_=round_, user=district.users["committee"])
    assert Review.objects.get(pk=reviews["乙"].pk).composite == Decimal("100.00")


def test_bad_scores_are_refused_naming_the_row_and_column(world):
    district, round_, reviews, _ = world
    secretary = district.users["secretary"]
    rows = list(
        Review.objects.filter(round=round_, organization=district.branch).order_by("member__number")
    )
    line = [r.pk for r in rows].index(reviews["乙"].pk) + 1
    with pytest.raises(services.ReviewError) as refused:
        grid_save(
            round_=round_,
            unit=district.branch,
            user=secretary,
            entries={
                reviews["甲"].pk: Entry(scores(20, 20, 20, 20, 20)),
                reviews["乙"].pk: Entry(scores(21, 0, 0, 0, 0)),
            },
        )
    assert str(refused.value) == f"第 {line} 行（乙）“带头学习提高”：21 分超出范围（0 至 20 分）"
    with pytest.raises(services.ReviewError, match="“带头学习提高”：“很好”不是数字"):
        grid_save(
            round_=round_,
            unit=district.branch,
            user=secretary,
            entries={reviews["甲"].pk: Entry({"1": "很好"})},
        )
    with pytest.raises(services.ReviewError, match="没有评价项目“9”"):
        grid_save(
            round_=round_,
            unit=district.branch,
            user=secretary,
            entries={reviews["甲"].pk: Entry({"9": 1})},
        )
    with pytest.raises(
        services.ReviewError, match="以下项目未评分：带头服务群众、带头遵纪守法、带头弘扬正气"
    ):
        grid_save(
            round_=round_,
            unit=district.branch,
            user=secretary,
            entries={reviews["甲"].pk: Entry({"1": 1, "2": 2})},
            submit=True,
        )
    assert not ScoreSheet.objects.exists()


def test_who_may_not_score(world):
    district, round_, reviews, peers = world
    own = Review.objects.get(round=round_, member__user=peers[0])
    with pytest.raises(services.ReviewError, match="不能评议自己"):
        sheet_save(review=own, user=peers[0], evaluator="peer", entry=Entry(scores(*[1] * 5)))
    with pytest.raises(services.ReviewError, match="只有同一支部的党员可以参加党员互评"):
        sheet_save(
            review=reviews["乙"],
            user=district.users["secretary"],
            evaluator="peer",
            entry=Entry({}),
        )
    with pytest.raises(services.ReviewError, match="只有本支部可以对本支部党员进行支部评议"):
        sheet_save(
            review=reviews["乙"],
            user=district.users["sibling_secretary"],
            evaluator="branch",
            entry=Entry({}),
        )
    with pytest.raises(services.ReviewError, match="没有“领导点评”这一评议主体"):
        sheet_save(
            review=reviews["乙"],
            user=district.users["committee"],
            evaluator="leader",
            entry=Entry({}),
        )
    assert not ScoreSheet.objects.exists()


def test_a_second_anonymous_sheet_and_a_sheet_after_close_are_refused(world):
    district, round_, reviews, peers = world
    full = Entry(scores(*[10] * 5))
    sheet_save(review=reviews["乙"], user=peers[0], evaluator="peer", entry=full, submit=True)
    with pytest.raises(services.ReviewError, match="您已提交过对“乙”的党员互评，不能再次提交"):
        sheet_save(review=reviews["乙"], user=peers[0], evaluator="peer", entry=full, submit=True)
    services.round_close(round_=round_, user=district.users["committee"])
    with pytest.raises(services.ReviewError, match="当前为“已结束”，不能评分"):
        sheet_save(review=reviews["乙"], user=peers[1], evaluator="peer", entry=full, submit=True)
    assert ScoreSheet.objects.count() == 1


def test_a_peer_sheet_is_on_no_units_record(world):
    district, round_, reviews, peers = world
    sheet = sheet_save(
        review=reviews["乙"],
        user=peers[0],
        evaluator="peer",
        entry=Entry(scores(*[10] * 5)),
        submit=True,
    )
    entry = AuditEntry.objects.get(model="reviews.scoresheet", object_id=str(sheet.pk))
    assert entry.organization_id is None  # only the admin's audit list shows who scored whom


def test_the_anonymous_kinds_trail_is_read_by_the_system_administrator_only(world, login):
    """A peer sheet's entry (who scored whom) is on no unit's 变更记录, for the
    subject, their secretary or the staff above; the admin's audit list shows it,
    and a staff login without the right gets no audit list at all."""
    from django.urls import reverse

    district, round_, reviews, peers = world
    subject = Review.objects.get(round=round_, member=district.member)
    # Through the page, so the trail names the peer as who acted.
    response = login(peers[0]).post(
        reverse("reviews:peer", kwargs={"pk": round_.pk}),
        {f"s-{subject.pk}-{code}": "10" for code in CODES}
        | {f"o-{subject.pk}": "匿名意见：多帮扶困难群众", "submit": "1"},
    )
    assert response.status_code == 302
    assert AuditEntry.objects.get(model="reviews.scoresheet").actor_id == peers[0].pk
    # The branch's own, named sheet is on its record: the check below can fail.
    grid_save(
        round_=round_,
        unit=district.branch,
        user=district.users["secretary"],
        entries={subject.pk: Entry(scores(*[15] * 5))},
    )
    units = [district.branch, district.community, district.street, district.root]
    readers = ["member", "secretary", "committee", "office"]
    seen_named = False
    for role in readers:
        client = login(district.users[role])
        for unit in units:
            response = client.get(reverse("orgs:organization_detail", kwargs={"pk": unit.pk}))
            page = response.content.decode()
            assert "党员互评·" not in page and "peer0" not in page, (role, unit.code)
            assert "匿名意见" not in page
            seen_named |= "支部评议" in page
    assert seen_named  # the secretary's and those above's 变更记录 show the branch's sheet
    admin = login(district.users["admin"])
    listing = admin.get(
        reverse("admin:core_auditentry_changelist"), {"q": "党员互评"}
    ).content.decode()
    assert "党员互评·" in listing and "peer0" in listing
    staff = UserFactory(username="staff_only", is_staff=True)
    response = login(staff).get(reverse("admin:core_auditentry_changelist"))
    assert response.status_code == 403


def test_paper_ballots_beyond_the_eligible_are_refused(world):
    district, round_, reviews, _ = world
    secretary = district.users["secretary"]
    eligible = Review.objects.get(pk=reviews["甲"].pk).organization.members.count() - 1
    with pytest.raises(
        services.ReviewError, match=f"党员互评票数 {eligible + 1} 超过可参加评议的人数 {eligible}"
    ):
        tally_enter(
            review=reviews["甲"], user=secretary, evaluator="peer", ballots=eligible + 1, totals={}
        )
    with pytest.raises(services.ReviewError, match="总分 41 超出范围（0 至 40，即 2 票 × 20 分）"):
        tally_enter(
            review=reviews["甲"], user=secretary, evaluator="peer", ballots=2, totals={"1": 41}
        )
    tally = tally_enter(
        review=reviews["甲"], user=secretary, evaluator="peer", ballots=2, totals={"1": 40}
    )
    assert tally.ballots == 2


def test_the_grid_saves_in_the_same_number_of_queries_whatever_its_size(world):
    district, round_, reviews, _ = world
    secretary = district.users["secretary"]

    def save_all():
        rows = Review.objects.filter(round=round_, organization=district.branch)
        entries = {r.pk: Entry(scores(15, 15, 15, 15, 15)) for r in rows}
        with CaptureQueriesContext(connection) as queries:
            grid_save(
                round_=round_, unit=district.branch, user=secretary, entries=entries, submit=True
            )
        return len(queries), len(entries)

    few, n_few = save_all()
    for i in range(25):
        MemberFactory(organization=district.branch, number=f"X{i:03d}")
    ReviewRound.objects.filter(pk=round_.pk).update(state="draft")
    Review.objects.filter(round=round_).delete()
    services.round_open(round_=round_, user=district.users["committee"])
    many, n_many = save_all()
    assert n_many > n_few + 20
    assert many == few


def test_a_committee_rates_its_units_in_a_dianping_grid(district, campaign):
    kind = ReviewKind.objects.get(campaign=campaign, name="党（工）委季度点评")
    round_ = services.round_open(
        round_=services.round_create(
            user=district.users["committee"],
            campaign=campaign,
            kind=kind,
            organization=district.street,
            period="2010年第四季度",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        ),
        user=district.users["committee"],
    )
    community = Review.objects.get(round=round_, organization=district.community)
    with pytest.raises(services.ReviewError, match="请评定等次后再提交"):
        grid_save(
            round_=round_,
            unit=district.street,
            user=district.users["committee"],
            entries={community.pk: Entry({}, opinion="x")},
            submit=True,
        )
    grid_save(
        round_=round_,
        unit=district.street,
        user=district.users["committee"],
        entries={community.pk: Entry({}, grade="好", opinion="党员服务站作用明显")},
        submit=True,
    )
    sheet = ScoreSheet.objects.get()
    assert (sheet.evaluator, sheet.evaluator_key) == (
        "leader",
        f"u{district.users['committee'].pk}",
    )
    round_results(round_)
    result = Review.objects.get(pk=community.pk)
    assert result.composite == Decimal("95.00") and result.grade == "好"


def test_a_dianping_grid_saves_in_the_same_number_of_queries_whatever_its_size(district, campaign):
    from tests.factories import OrganizationFactory

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

    def save_all():
        rows = Review.objects.filter(round=round_, organization__parent=district.community)
        entries = {r.pk: Entry({}, grade="较好", opinion="按期开展组织生活") for r in rows}
        with CaptureQueriesContext(connection) as queries:
            grid_save(
                round_=round_, unit=district.community, user=committee, entries=entries, submit=True
            )
        return len(queries), len(entries)

    few, n_few = save_all()
    for i in range(20):
        OrganizationFactory(code=f"R-S1-C1-X{i:02d}", parent=district.community)
    ReviewRound.objects.filter(pk=round_.pk).update(state="draft")
    Review.objects.filter(round=round_).delete()
    services.round_open(round_=round_, user=committee)
    many, n_many = save_all()
    assert n_many >= n_few + 20
    assert many == few


def test_results_stored_in_small_batches_are_the_same(world, monkeypatch):
    from core import bulk
    from reviews import results

    district, round_, reviews, _ = world
    grid_save(
        round_=round_,
        unit=district.branch,
        user=district.users["secretary"],
        entries={r.pk: Entry(scores(20, 18, 16, 14, n)) for n, r in enumerate(reviews.values())},
        submit=True,
    )
    round_results(round_)
    stored = list(Review.objects.filter(round=round_).order_by("pk").values())
    Review.objects.filter(round=round_).update(composite=None, grade="", breakdown={})
    monkeypatch.setattr(results, "BATCH", 1)  # read in chunks of one
    monkeypatch.setattr(bulk, "BATCH", 2)  # an UPDATE per two rows on PostgreSQL
    assert round_results(round_) == len(stored)
    again = list(Review.objects.filter(round=round_).order_by("pk").values())
    for row in stored + again:
        row.pop("computed_at")
    assert again == stored
    assert sorted(
        r["composite"] for r in again if r["member_id"] in {m.member_id for m in reviews.values()}
    ) == [Decimal(n) for n in (68, 69, 70, 71)]


def test_opinions_per_unit_hide_anonymous_kinds_below_the_minimum(world, login):
    from django.urls import reverse

    from reviews.results import unit_opinions

    district, round_, reviews, peers = world
    grid_save(
        round_=round_,
        unit=district.branch,
        user=district.users["secretary"],
        entries={reviews["甲"].pk: Entry(scores(*[15] * 5), opinion="支部：学习要更扎实")},
        submit=True,
    )
    for n, user in enumerate(peers):
        sheet_save(
            review=reviews["甲"],
            user=user,
            evaluator="peer",
            entry=Entry(scores(*[15] * 5), opinion=f"互评意见{n}"),
            submit=True,
        )
    for user in peers[:2]:  # 乙: two peers, below the minimum of three
        sheet_save(
            review=reviews["乙"],
            user=user,
            evaluator="peer",
            entry=Entry(scores(*[15] * 5), opinion="不该出现的互评意见"),
            submit=True,
        )
    round_results(round_)
    [(unit, items)] = unit_opinions(round_, Review.objects.filter(round=round_))
    assert unit == district.branch
    assert items == [
        ("党员互评", "互评意见0"),
        ("党员互评", "互评意见1"),
        ("党员互评", "互评意见2"),
        ("支部评议", "支部：学习要更扎实"),
    ]
    services.round_close(round_=round_, user=district.users["committee"])
    page = login(district.users["committee"]).get(
        reverse("reviews:opinions", kwargs={"pk": round_.pk})
    )
    body = page.content.decode()
    assert "互评意见1" in body and "不该出现的互评意见" not in body
    assert "peer0" not in body  # no evaluator is named
