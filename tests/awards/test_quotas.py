"""名额: the largest-remainder arithmetic on worked examples, handing quotas down
two levels, adjusting them, and what is refused (nothing changed)."""

import pytest
from django.core.exceptions import ValidationError

from awards import quotas
from awards.models import AwardCategory, AwardRound, Quota
from awards.quotas import QuotaError, hamilton
from core.models import AuditEntry
from tests.factories import MemberFactory

# ------------------------------------------------------------------ arithmetic


def test_exact_shares_are_given_as_they_are():
    assert hamilton(10, [5, 3, 2]) == [5, 3, 2]


def test_the_seat_left_goes_to_the_largest_remainder():
    # 7 × 5/10 = 3.5, 7 × 3/10 = 2.1, 7 × 2/10 = 1.4: floors 3 + 2 + 1 = 6, one
    # left for the largest remainder (.5).
    assert hamilton(7, [5, 3, 2]) == [4, 2, 1]


def test_a_tie_goes_to_the_larger_base_then_to_tree_order():
    # 2 × 2/8 = 0.5 and 2 × 6/8 = 1.5: equal remainders, the larger base wins.
    assert hamilton(2, [2, 6]) == [0, 2]
    # 3 × 1/2 = 1.5 each: remainders and bases equal, the first in tree order wins.
    assert hamilton(3, [1, 1]) == [2, 1]


def test_a_minimum_per_child_fixes_the_small_and_shares_the_rest():
    # Exact shares 0.1, 0.1, 9.8: the two below 2 get 2, the third the 6 left.
    assert hamilton(10, [1, 1, 98], minimum=2) == [2, 2, 6]
    # Fixing one pushes another below: 10 over [1, 20, 79], at least 2 each:
    # 0.1 < 2 is fixed; the 8 left over [20, 79] gives 8 × 20/99 = 1.6 < 2, fixed
    # too; the last gets the 6 left.
    assert hamilton(10, [1, 20, 79], minimum=2) == [2, 2, 6]


def test_minimums_that_do_not_fit_and_nothing_to_share_by_are_refused():
    with pytest.raises(QuotaError, match="超过可分配的 3 个"):
        hamilton(3, [1, 1], minimum=2)
    with pytest.raises(QuotaError, match="基数合计为 0"):
        hamilton(3, [0, 0])
    with pytest.raises(QuotaError, match="没有下级"):
        hamilton(3, [])
    assert hamilton(0, [0, 0]) == [0, 0]


@pytest.mark.parametrize("total", range(0, 40, 7))
def test_the_shares_always_add_up(total):
    bases = [13, 0, 7, 7, 1, 22]
    assert sum(hamilton(total, bases)) == total
    assert sum(hamilton(total + 6, bases, minimum=1)) == total + 6


# ------------------------------------------------------------------ the tree


def amounts(category):
    return {
        q.organization.code: q.amount
        for q in Quota.objects.filter(category=category).select_related("organization")
    }


def test_bases_come_from_the_stored_counts(district, category, django_assert_max_num_queries):
    # street: branch (member, own_member) and sibling (sibling_member); street2: far_member.
    with django_assert_max_num_queries(1):
        bases = quotas.basis_counts(category, [district.street, district.street2])
    assert bases == {district.street.pk: 3, district.street2.pk: 1}
    category.basis = AwardCategory.Basis.BRANCHES
    assert quotas.basis_counts(category, [district.street, district.street2]) == {
        district.street.pk: 2,
        district.street2.pk: 1,
    }


def test_allocating_two_levels_deep(district, category):
    office, committee = district.users["office"], district.users["committee"]
    assert quotas.quota_for(category, district.root) == 10
    assert quotas.quota_for(category, district.street) == 0
    # 10 × 3/4 = 7.5 and 10 × 1/4 = 2.5: a tie of remainders, the larger base wins.
    quotas.quota_allocate(user=office, category=category, organization=district.root)
    assert amounts(category) == {"R": 10, "R-S1": 8, "R-S2": 2}
    # The street's committee hands its 8 to its one child, the community.
    quotas.quota_allocate(user=committee, category=category, organization=district.street)
    # The community: 8 × 2/3 = 5.33, 8 × 1/3 = 2.67 → 5 + 2, the one left to .67.
    quotas.quota_allocate(user=committee, category=category, organization=district.community)
    assert amounts(category) == {
        "R": 10,
        "R-S1": 8,
        "R-S2": 2,
        "R-S1-C1": 8,
        "R-S1-C1-B1": 5,
        "R-S1-C1-B2": 3,
    }
    assert quotas.quota_for(category, district.sibling) == 3
    assert quotas.quota_used(category, district.sibling) == 0
    street = Quota.objects.get(category=category, organization=district.street)
    assert street.allocated and street.source == Quota.Source.ALLOCATED
    assert street.basis_count == 3


def test_allocating_with_a_minimum(district, category):
    category.minimum_per_child = 3
    category.save()
    # 10 × 1/4 = 2.5 < 3: street2 gets 3, the street the 7 left.
    quotas.quota_allocate(
        user=district.users["office"], category=category, organization=district.root
    )
    assert amounts(category) == {"R": 10, "R-S1": 7, "R-S2": 3}


def test_allocating_again_follows_new_members(district, category):
    office = district.users["office"]
    quotas.quota_allocate(user=office, category=category, organization=district.root)
    for _ in range(2):
        MemberFactory(organization=district.far_branch)  # street2 now 3 members, street 3
    quotas.quota_allocate(user=office, category=category, organization=district.root)
    assert amounts(category) == {"R": 10, "R-S1": 5, "R-S2": 5}


def test_an_adjustment_must_add_up_and_give_a_reason(district, category):
    office = district.users["office"]
    quotas.quota_allocate(user=office, category=category, organization=district.root)
    street = Quota.objects.get(category=category, organization=district.street)
    street2 = Quota.objects.get(category=category, organization=district.street2)
    entries = AuditEntry.objects.count()
    with pytest.raises(QuotaError, match="下级名额合计 9 个，与.*的名额 10 个不符"):
        quotas.quota_override(user=office, quota=street, amount=7, reason="工作突出的街道多给")
    with pytest.raises(QuotaError, match="必须填写理由"):
        quotas.quota_override(
            user=office, quota=street, amount=7, reason=" ", others={street2.pk: 3}
        )
    assert amounts(category) == {"R": 10, "R-S1": 8, "R-S2": 2}
    assert AuditEntry.objects.count() == entries
    quotas.quota_override(
        user=office, quota=street, amount=7, reason="第二街道党员增长快", others={street2.pk: 3}
    )
    assert amounts(category) == {"R": 10, "R-S1": 7, "R-S2": 3}
    street.refresh_from_db()
    assert street.source == Quota.Source.OVERRIDDEN and street.reason == "第二街道党员增长快"
    history = list(quotas.history([street.pk]))
    assert [e.verb for e in history] == ["调整名额", "分配名额"]
    assert history[0].changes["amount"] == [8, 7]
    assert history[1].changes["amount"] == [None, 8]


def test_what_others_may_not_do(district, category):
    office, committee = district.users["office"], district.users["committee"]
    # The committee reviews the street, not the district: it cannot hand the
    # district's quota down, nor change what the district gave the street.
    with pytest.raises(QuotaError, match="只有中共"):
        quotas.quota_allocate(user=committee, category=category, organization=district.root)
    quotas.quota_allocate(user=office, category=category, organization=district.root)
    street = Quota.objects.get(category=category, organization=district.street)
    street2 = Quota.objects.get(category=category, organization=district.street2)
    with pytest.raises(QuotaError, match="只有分配名额的"):
        quotas.quota_override(
            user=committee, quota=street, amount=9, reason="多给一个名额", others={street2.pk: 1}
        )
    # The sibling street is outside the committee's scope.
    with pytest.raises(QuotaError, match="只有"):
        quotas.quota_allocate(user=committee, category=category, organization=district.street2)
    # A branch secretary reviews nothing.
    with pytest.raises(QuotaError):
        quotas.quota_allocate(
            user=district.users["sibling_secretary"],
            category=category,
            organization=district.community,
        )
    # A unit without a quota of its own cannot hand one down.
    with pytest.raises(QuotaError, match="还没有"):
        quotas.quota_allocate(user=committee, category=category, organization=district.community)
    # Once the street has handed its quota down, the district can no longer change it.
    quotas.quota_allocate(user=committee, category=category, organization=district.street)
    with pytest.raises(QuotaError, match="已把名额分配到下级"):
        quotas.quota_override(
            user=office, quota=street, amount=7, reason="第二街道党员增长快", others={street2.pk: 3}
        )
    assert amounts(category)["R-S1"] == 8


def test_keeping_a_quota(district, category):
    office, committee = district.users["office"], district.users["committee"]
    quotas.quota_allocate(user=office, category=category, organization=district.root)
    assert [q.organization for q in quotas.waiting_quotas(committee)] == [district.street]
    street = Quota.objects.get(category=category, organization=district.street)
    quotas.quota_keep(user=committee, quota=street)
    assert list(quotas.waiting_quotas(committee)) == []
    with pytest.raises(QuotaError):
        quotas.quota_keep(user=committee, quota=Quota.objects.get(organization=district.street2))


def test_from_publicity_on_quotas_are_fixed_and_no_longer_waiting(district, category):
    office, committee = district.users["office"], district.users["committee"]
    quotas.quota_allocate(user=office, category=category, organization=district.root)
    street = Quota.objects.get(category=category, organization=district.street)
    before = amounts(category)
    for state in (AwardRound.State.PUBLICITY, AwardRound.State.FINISHED):
        AwardRound.objects.filter(pk=category.round_id).update(state=state)
        category.round.refresh_from_db()
        assert list(quotas.waiting_quotas(committee)) == []
        label = AwardRound.State(state).label
        with pytest.raises(QuotaError, match=f"{category.round.name}{label}，名额不能再分配或调整"):
            quotas.quota_allocate(user=office, category=category, organization=district.root)
        with pytest.raises(QuotaError, match="不能再分配"):
            quotas.quota_keep(user=committee, quota=street)
        with pytest.raises(QuotaError, match="不能再分配"):
            quotas.quota_override(user=office, quota=street, amount=1, reason="情况有变化需要调整")
        assert amounts(category) == before
    assert not Quota.objects.filter(kept=True).exists()


# ------------------------------------------------------------------ configuration


def test_configuration_refusals_name_the_field(award_round, category, district):
    award_round.review_deadline = award_round.nomination_deadline
    with pytest.raises(ValidationError) as caught:
        award_round.full_clean()
    assert "review_deadline" in caught.value.message_dict
    assert "复审截止日期不能早于审核截止日期" in caught.value.message_dict["review_deadline"]
    # Two children of the district at 6 each need 12 of 10.
    category.minimum_per_child = 6
    with pytest.raises(ValidationError) as caught:
        category.full_clean()
    assert "超过名额总数 10" in caught.value.message_dict["minimum_per_child"][0]
    category.minimum_per_child = 0
    quotas.quota_allocate(
        user=district.users["office"], category=category, organization=district.root
    )
    category.total_quota = 12
    with pytest.raises(ValidationError) as caught:
        category.full_clean()
    assert "名额已分配到下级" in caught.value.message_dict["total_quota"][0]
