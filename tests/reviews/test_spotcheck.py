"""随机抽查: the draw is reproducible from its record (seed, population,
parameters) whatever happens to the tree afterwards, proportional by sector with
at least one unit per sector, refused in Chinese for bad sizes; the checklist
is prefilled from the data; the office (REVIEW on the subtree) draws and checks."""

import datetime as dt
import io
import random

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEntry
from orgs.models import Organization
from reviews import spotcheck
from reviews.models import Meeting, ReviewKind
from reviews.models_spotcheck import SpotCheck, SpotCheckRound
from reviews.services import round_create
from reviews.spotcheck import SpotCheckError, allocate, draw, redraw, spot_check_draw
from tests.factories import OrganizationFactory, filed_plan, published, sector

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ allocation by hand


def test_proportional_allocation_by_largest_remainder_on_a_worked_example():
    # 100 units in sectors of 50, 30, 15 and 5; 12 to draw. Quotas 12·n/100 are
    # 6, 3.6, 1.8 and 0.6: rounded down (at least 1) 6, 3, 1, 1 = 11; the one left
    # goes to the largest remainder, 1.8 − 1 = 0.8 (the third sector), not 0.6.
    assert allocate({1: 50, 2: 30, 3: 15, 4: 5}, 12) == {1: 6, 2: 3, 3: 2, 4: 1}


def test_the_minimum_of_one_per_sector_is_paid_by_the_sector_most_over_its_quota():
    # Quotas 9.7, 0.1, 0.1, 0.1: 9 + 1 + 1 + 1 = 12 > 10, so the large sector
    # gives two back: 7, 1, 1, 1.
    assert allocate({1: 97, 2: 1, 3: 1, 4: 1}, 10) == {1: 7, 2: 1, 3: 1, 4: 1}


def test_fewer_units_asked_than_sectors_still_draws_one_per_sector():
    assert allocate({1: 5, 2: 3, 3: 2}, 2) == {1: 1, 2: 1, 3: 1}
    found = draw([[1, 1], [2, 1], [3, 2], [4, 3]], seed=7, size=2, percent=None, stratify=True)
    assert len(found.sample) == 3 and found.asked == 2 and found.grown


def test_ties_go_to_the_first_sector_and_empty_sectors_get_nothing():
    assert allocate({1: 2, 2: 2}, 3) == {1: 2, 2: 1}
    assert allocate({1: 0, 2: 4}, 2) == {2: 2}


def test_percent_is_rounded_half_up_and_at_least_one():
    assert spotcheck.target_size(25, size=None, percent=10) == 3  # 2.5 → 3
    assert spotcheck.target_size(24, size=None, percent=10) == 2  # 2.4 → 2
    assert spotcheck.target_size(3, size=None, percent=1) == 1
    assert spotcheck.target_size(7, size=None, percent=100) == 7


# ------------------------------------------------------------------ reproducible draws


FRAME = [[pk, 10 + pk % 3] for pk in range(1, 41)]


def test_same_seed_and_population_give_the_same_sample():
    first = draw(FRAME, seed=2**64 - 1, size=9, percent=None, stratify=True)
    shuffled = FRAME[:]
    random.Random(1).shuffle(shuffled)
    again = draw(shuffled, seed=2**64 - 1, size=9, percent=None, stratify=True)
    assert first.sample == again.sample and len(first.sample) == 9
    assert [s.drawn for s in first.strata] == [3, 3, 3]
    other = draw(FRAME, seed=12345, size=9, percent=None, stratify=True)
    assert other.sample != first.sample  # the seed matters


def test_the_sample_is_what_random_sample_gives_over_each_sorted_stratum():
    """The documented procedure, spelled out: anyone can repeat it in Python."""
    found = draw(FRAME, seed=99, size=6, percent=None, stratify=True)
    rng = random.Random(99)
    expected = []
    for stratum in (10, 11, 12):
        ids = sorted(pk for pk, s in FRAME if s == stratum)
        expected += rng.sample(ids, 2)
    assert found.sample == sorted(expected)
    plain = draw(FRAME, seed=99, size=6, percent=None, stratify=False)
    assert plain.sample == sorted(random.Random(99).sample(list(range(1, 41)), 6))


@pytest.fixture
def units(district, campaign):
    """Under the street, besides the community and its two branches (街道社区):
    six 农村 branches and three 机关 branches: 12 units in 3 sectors."""
    village, office = sector("农村"), sector("机关")
    made = [
        OrganizationFactory(code=f"R-S1-V{i}", parent=district.street, sector=village)
        for i in range(6)
    ] + [
        OrganizationFactory(code=f"R-S1-J{i}", parent=district.street, sector=office)
        for i in range(3)
    ]
    return district, campaign, made


def office_draw(district, campaign, **values):
    values.setdefault("size", 4)
    return spot_check_draw(
        user=district.users["office"],
        campaign=campaign,
        organization=values.pop("organization", district.street),
        title=values.pop("title", "2011年上半年随机抽查"),
        **values,
    )


def test_a_draw_records_seed_population_and_sample_and_a_check_per_unit(units):
    district, campaign, made = units
    round_ = office_draw(district, campaign, size=4)
    ids = sorted(
        Organization.objects.filter(
            tree_id=district.street.tree_id,
            lft__gt=district.street.lft,
            lft__lt=district.street.rght,
        ).values_list("pk", flat=True)
    )
    assert [pk for pk, _sector in round_.population] == ids and len(ids) == 12
    assert int(round_.seed) < 2**64 and len(round_.sample) == 4
    assert set(round_.sample) <= set(ids)
    assert sorted(round_.checks.values_list("organization_id", flat=True)) == round_.sample
    # 12 units: 街道社区 3, 农村 6, 机关 3 → quotas 1, 2, 1.
    by_sector = {pk: s for pk, s in round_.population}
    drawn = [by_sector[pk] for pk in round_.sample]
    assert sorted(drawn.count(s) for s in set(by_sector.values())) == [1, 1, 2]
    assert AuditEntry.objects.filter(model="reviews.spotcheckround").count() == 1
    assert AuditEntry.objects.filter(model="reviews.spotcheck").count() == 4


def test_a_changed_tree_does_not_change_a_recorded_draws_redraw(units):
    district, campaign, made = units
    round_ = office_draw(district, campaign, size=5)
    recorded = list(round_.sample)
    # Afterwards a unit is added, one is deactivated and one moves to another street.
    OrganizationFactory(code="R-S1-V9", parent=district.street, sector=sector("农村"))
    Organization.objects.filter(pk=made[0].pk).update(is_active=False)
    moved = Organization.objects.get(pk=made[-1].pk)
    moved.parent = district.street2
    moved.save()
    now = spotcheck.population(campaign, Organization.objects.get(pk=district.street.pk))
    assert now != round_.population  # the tree did change
    round_ = SpotCheckRound.objects.get(pk=round_.pk)
    assert redraw(round_).sample == recorded


def test_the_command_says_same_for_a_true_record_and_different_for_a_tampered_one(units):
    district, campaign, _made = units
    round_ = office_draw(district, campaign, size=3)
    out = io.StringIO()
    call_command("redraw_spotcheck", str(round_.pk), stdout=out)
    assert "same" in out.getvalue() and round_.seed in out.getvalue()
    others = [pk for pk, _s in round_.population if pk not in round_.sample]
    SpotCheckRound.objects.filter(pk=round_.pk).update(
        sample=sorted(round_.sample[1:] + others[:1])
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("redraw_spotcheck", str(round_.pk), stdout=out)
    assert raised.value.returncode == 1 and "different" in out.getvalue()
    with pytest.raises(CommandError) as raised:
        call_command("redraw_spotcheck", "987654", stdout=io.StringIO())
    assert raised.value.returncode == 2


# ------------------------------------------------------------------ bad input, scope


@pytest.mark.parametrize(
    "values,message",
    [
        ({"size": 13}, "抽查数量 13 个超过“第一街道党工委”之下可抽取的单位数 12 个"),
        ({"size": 0}, "抽查数量至少为 1 个"),
        ({"size": None, "percent": 101}, "抽查比例应在 1% 至 100% 之间"),
        ({"size": None, "percent": 0}, "抽查比例应在 1% 至 100% 之间"),
        ({"size": 3, "percent": 10}, "请填写抽查数量或抽查比例（二者选一）"),
        ({"size": None}, "请填写抽查数量或抽查比例（二者选一）"),
        ({"kinds": ["nope"]}, "未知的组织类型：nope"),
        ({"kinds": ["leading_group"]}, "“第一街道党工委”之下没有可抽取的单位"),
    ],
)
def test_bad_sizes_are_refused_in_chinese_and_nothing_is_written(units, values, message):
    district, campaign, _made = units
    with pytest.raises(SpotCheckError) as raised:
        office_draw(district, campaign, **values)
    assert message in str(raised.value)
    assert not SpotCheckRound.objects.exists() and not SpotCheck.objects.exists()
    assert not AuditEntry.objects.filter(model__startswith="reviews.spotcheck").exists()


def test_percent_and_kinds_narrow_the_draw(units):
    district, campaign, made = units
    round_ = office_draw(district, campaign, size=None, percent=50, kinds=["branch"])
    branches = {u.pk for u in made} | {district.branch.pk, district.sibling.pk}
    assert {pk for pk, _s in round_.population} == branches  # the community is a 党委
    assert len(round_.sample) == 6  # 50 % of 11 is 5.5, rounded half up


def test_only_those_who_review_the_subtree_draw_there(units):
    district, campaign, _made = units
    committee = district.users["committee"]
    with pytest.raises(SpotCheckError, match="只有活动办公室或上级党组织可以在“中共测试区委”"):
        spot_check_draw(
            user=committee, campaign=campaign, organization=district.root, title="x", size=1
        )
    for user in ("secretary", "member", "contact_leader", "no_role"):
        with pytest.raises(SpotCheckError):
            spot_check_draw(
                user=district.users[user],
                campaign=campaign,
                organization=district.community,
                title="x",
                size=1,
            )
    round_ = spot_check_draw(
        user=committee, campaign=campaign, organization=district.street, title="街道抽查", size=2
    )
    assert list(spotcheck.rounds_for(committee)) == [round_]
    assert list(spotcheck.rounds_for(district.users["secretary"])) == []
    far = office_draw(district, campaign, organization=district.street2, size=1)
    assert set(spotcheck.rounds_for(district.users["office"])) == {round_, far}
    assert far not in spotcheck.rounds_for(committee)


# ------------------------------------------------------------------ the checklist


def test_the_checklist_is_prefilled_from_plans_pledges_and_meetings(district, campaign):
    secretary = district.users["secretary"]
    filed_plan(campaign, district.branch, secretary)
    filed_plan(campaign, district.sibling, district.users["sibling_secretary"], submit=False)
    published(district, campaign, organization=district.branch, audience="public")
    round_ = round_create(
        user=district.users["committee"],
        campaign=campaign,
        kind=ReviewKind.objects.get(campaign=campaign, name="党员民主评议"),
        organization=district.community,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    Meeting.objects.create(
        round=round_,
        organization=district.branch,
        held_on=round_.opens_on,
        place="活动室",
        attendees=1,
    )
    drawn = office_draw(district, campaign, organization=district.community, size=2)
    checks = {c.organization_id: c for c in drawn.checks.all()}
    branch, sibling = checks[district.branch.pk], checks[district.sibling.pk]
    assert (branch.plan_filed, branch.pledges_public, branch.meeting_held) == (True, True, True)
    assert branch.satisfaction is None and branch.prefilled["plan_state"] == "submitted"
    assert (sibling.plan_filed, sibling.pledges_public, sibling.meeting_held) == (
        False,
        False,
        False,
    )
    assert sibling.prefilled["plan_state"] == "draft"  # a draft is not filed
    assert branch.state == SpotCheck.State.PENDING and branch.rectification_id is None


def test_checkers_record_findings_and_mark_the_unit_checked(units):
    district, campaign, _made = units
    round_ = office_draw(district, campaign, size=2)
    check = round_.checks.first()
    values = {
        "plan_filed": True,
        "pledges_public": False,
        "meeting_held": True,
        "satisfaction": None,
        "findings": "",
    }
    with pytest.raises(SpotCheckError, match="请填写检查发现的问题"):
        spotcheck.spot_check_save(
            check=check, user=district.users["office"], values=values, done=True
        )
    with pytest.raises(SpotCheckError, match="只有活动办公室或上级党组织"):
        spotcheck.spot_check_save(
            check=check, user=district.users["secretary"], values=values, done=False
        )
    check = spotcheck.spot_check_save(
        check=check,
        user=district.users["office"],
        values=values | {"findings": "  公示栏承诺内容未更新  "},
        done=True,
    )
    assert check.state == SpotCheck.State.CHECKED and check.findings == "公示栏承诺内容未更新"
    assert check.checked_by == district.users["office"] and check.prefilled["plan_filed"] in (
        True,
        False,
    )
    assert AuditEntry.objects.filter(
        model="reviews.spotcheck", object_id=str(check.pk), action="update"
    ).exists()


def test_seed_spotchecks_draws_one_round_once_and_checks_some_units(units):
    district, campaign, _made = units
    out = io.StringIO()
    call_command("seed_spotchecks", "--root", "R", stdout=out)
    round_ = SpotCheckRound.objects.get()
    assert round_.kinds == ["branch"] and round_.percent == 10 and round_.stratify
    assert round_.checks.filter(state=SpotCheck.State.CHECKED).exists()
    call_command("redraw_spotcheck", str(round_.pk), stdout=out)
    call_command("seed_spotchecks", "--root", "R", stdout=out)
    assert SpotCheckRound.objects.count() == 1 and "跳过" in out.getvalue()
