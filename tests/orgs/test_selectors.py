"""The tree reads every app asks instead of spelling nested-set ranges out."""

import pytest

from orgs import selectors, services
from orgs.models import Member, Organization, Role
from tests.factories import MemberFactory, OrganizationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def names(qs) -> list[str]:
    return [o.code for o in qs]


def test_a_subtree_is_the_node_and_everything_below_it(district):
    below = Organization.objects.filter(selectors.subtree_q(district.street)).order_by("lft")
    assert names(below) == ["R-S1", "R-S1-C1", "R-S1-C1-B1", "R-S1-C1-B2"]
    without_self = selectors.in_subtree(
        Organization.objects.order_by("lft"), district.street, include_self=False
    )
    assert names(without_self) == ["R-S1-C1", "R-S1-C1-B1", "R-S1-C1-B2"]


def test_a_subtree_filter_reaches_through_a_relation(district):
    members = selectors.in_subtree(Member.objects.all(), district.street, "organization__")
    assert set(members) == {district.member, district.own_member, district.sibling_member}


def test_a_subtree_never_reaches_into_another_tree(district):
    other_root = OrganizationFactory(code="Q", kind=Organization.Kind.COMMITTEE)
    OrganizationFactory(code="Q-B1", parent=other_root)
    # mptt numbers roots by code: "Q" comes first and renumbers the district's tree.
    other_root.refresh_from_db()
    district.root.refresh_from_db()
    assert names(Organization.objects.filter(selectors.subtree_q(other_root))) == ["Q", "Q-B1"]
    assert "Q-B1" not in names(Organization.objects.filter(selectors.subtree_q(district.root)))
    assert set(names(Organization.objects.filter(selectors.tree_q(other_root)))) == {"Q", "Q-B1"}


def test_a_span_is_a_run_of_consecutive_organisations(district):
    lfts = range(district.community.lft, district.sibling.lft)  # the community and its first branch
    run = Organization.objects.filter(selectors.span_q(district.root.tree_id, lfts))
    assert set(names(run)) == {"R-S1-C1", "R-S1-C1-B1"}


def test_containment(district):
    assert selectors.contains(district.root, district.far_branch)
    assert selectors.contains(district.street, district.branch)
    assert selectors.contains(district.branch, district.branch)
    assert not selectors.contains(district.branch, district.branch, include_self=False)
    assert not selectors.contains(district.branch, district.street)
    assert not selectors.contains(district.street, district.far_branch)
    elsewhere = OrganizationFactory(code="Z", kind=Organization.Kind.COMMITTEE)
    elsewhere.refresh_from_db()
    assert not selectors.contains(elsewhere, district.branch)


def test_ancestors_come_parent_first_as_a_nomination_climbs(district):
    assert names(selectors.ancestors(district.branch)) == ["R-S1-C1", "R-S1", "R"]
    assert names(selectors.ancestors(district.branch, include_self=True))[0] == "R-S1-C1-B1"
    assert names(selectors.ancestors(district.root)) == []


def test_visible_ancestors_stay_top_first_and_in_scope(district):
    committee = district.users["committee"]
    assert names(selectors.visible_ancestors(committee, district.branch)) == ["R-S1", "R-S1-C1"]


def test_children_are_the_direct_ones_in_tree_order(district):
    assert names(selectors.children(district.root)) == ["R-S1", "R-S2"]
    assert names(selectors.children(district.community)) == ["R-S1-C1-B1", "R-S1-C1-B2"]
    assert names(selectors.children(district.branch)) == []


def test_children_follow_a_move(district):
    services.organization_move(organization=district.community, new_parent=district.street2)
    street2 = Organization.objects.get(pk=district.street2.pk)
    assert names(selectors.children(street2)) == ["R-S2-B1", "R-S1-C1"]
    branch = Organization.objects.get(pk=district.branch.pk)
    assert names(selectors.ancestors(branch)) == ["R-S1-C1", "R-S2", "R"]


def test_subtree_member_counts_come_from_one_correlated_count(district, django_assert_num_queries):
    MemberFactory(organization=district.community)
    with django_assert_num_queries(1):
        counted = {
            o.code: o.subtree_members
            for o in selectors.with_subtree_member_counts(Organization.objects.all())
        }
    # The district: branch 2 (member, own_member), sibling 1, far branch 1; plus one here.
    assert counted["R"] == 5 and counted["R-S1"] == 4 and counted["R-S1-C1-B2"] == 1


def test_a_users_own_member_record(district):
    user = UserFactory()
    assert selectors.own_member(user) is None
    Member.objects.filter(pk=district.member.pk).update(user=user)
    assert selectors.own_member(user) == district.member


# ---- what a file was made from -------------------------------------------------


def test_the_reach_of_a_file_is_the_organisation_asked_for_else_the_scope_tops(district):
    committee, office = district.users["committee"], district.users["office"]
    assert selectors.reach_of(committee) == [district.street.pk]
    assert selectors.reach_of(committee, district.branch.pk) == [district.branch.pk]
    assert selectors.reach_of(office) == [district.root.pk]
    assert selectors.reach_of(district.users["admin"]) == [district.root.pk]


def test_sees_all_needs_every_recorded_organisation(district):
    committee = district.users["committee"]
    assert selectors.sees_all(committee, [district.street.pk, district.branch.pk])
    assert not selectors.sees_all(committee, [district.street.pk, district.far_branch.pk])
    assert not selectors.sees_all(committee, None)  # nothing recorded: refused
    assert not selectors.sees_all(committee, ["x"])
    assert selectors.sees_all(committee, [])


def test_a_grant_moved_away_no_longer_sees_the_recorded_reach(district):
    user = UserFactory()
    grant(user, Role.COMMITTEE_STAFF, district.street)
    reach = selectors.reach_of(user)
    user.role_grants.all().update(organization=district.street2)
    assert not selectors.sees_all(user, reach)


def test_the_member_filter_of_the_list_and_its_export(district):
    office = district.users["office"]
    under = selectors.filtered_members(office, {"organization": district.street2.pk})
    assert list(under) == [district.far_member]
    committee = district.users["committee"]
    assert not selectors.filtered_members(committee, {"organization": district.far_branch.pk})
    assert not selectors.filtered_members(committee, {"category": "nonsense"})
    by_name = selectors.filtered_members(committee, {"name": district.member.number})
    assert list(by_name) == [district.member]
