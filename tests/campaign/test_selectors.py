"""Campaign reads: the campaign running on a root, plan scoping, contact points."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.http import Http404

from campaign import selectors
from campaign.models import Campaign, ContactPoint, Plan
from orgs.models import Organization, Role
from tests.factories import OrganizationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(district):
    call_command("load_campaign", "licheng", "--root", district.root.code)
    return Campaign.objects.get()


def test_the_running_campaign_is_todays_else_the_latest_that_is_not_in_preparation(
    district, campaign
):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert selectors.running_campaign(district.branch) is None  # 筹备 is never shown
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ACTIVE)
    assert selectors.running_campaign(district.branch) == campaign  # over, but the latest
    today = dt.date.today()
    running = Campaign.objects.create(
        organization=district.root,
        name="本年度活动",
        start_date=today - dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=1),
        status=Campaign.Status.ACTIVE,
    )
    Campaign.objects.create(
        organization=district.root,
        name="明年的活动",
        start_date=today + dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=60),
        status=Campaign.Status.ACTIVE,
    )
    assert selectors.running_campaign(district.far_branch) == running


def test_a_campaign_covers_only_its_roots_tree(district, campaign):
    elsewhere = OrganizationFactory(code="Z", kind=Organization.Kind.COMMITTEE)
    elsewhere.refresh_from_db()
    assert list(selectors.campaigns_over(district.far_branch)) == [campaign]
    assert not selectors.campaigns_over(elsewhere).exists()


def test_a_plan_of_a_unit_of_another_tree_is_missing(district, campaign):
    elsewhere = OrganizationFactory(code="Z", kind=Organization.Kind.COMMITTEE)
    admin = district.users["admin"]
    plan, exists = selectors.plan_for_unit(admin, campaign.pk, district.branch.pk)
    assert plan.organization == district.branch and not exists and plan.pk is None
    with pytest.raises(Http404):
        selectors.plan_for_unit(admin, campaign.pk, elsewhere.pk)
    with pytest.raises(Http404):  # outside the secretary's scope
        selectors.plan_for_unit(district.users["secretary"], campaign.pk, district.sibling.pk)


def test_units_without_a_plan_are_below_the_root_and_in_scope(district, campaign):
    office, committee = district.users["office"], district.users["committee"]
    Plan.objects.create(
        campaign=campaign, organization=district.sibling, state=Plan.State.SUBMITTED
    )
    draft = Plan.objects.create(campaign=campaign, organization=district.branch)
    units = selectors.units_without_plan(office, campaign, None, None)
    codes = [u.code for u in units]
    assert codes == ["R-S1", "R-S1-C1", "R-S1-C1-B1", "R-S2", "R-S2-B1"]  # no root, no filer
    assert {u.code: u.draft_plan for u in units}["R-S1-C1-B1"] == draft.pk
    narrowed = selectors.units_without_plan(committee, campaign, district.community, None)
    assert [u.code for u in narrowed] == ["R-S1-C1", "R-S1-C1-B1"]
    assert not selectors.units_without_plan(office, None, None, None).exists()


def test_plans_for_a_user_are_those_of_their_subtree(district, campaign):
    mine = Plan.objects.create(campaign=campaign, organization=district.branch)
    Plan.objects.create(campaign=campaign, organization=district.far_branch)
    assert list(selectors.plans_for(district.users["committee"])) == [mine]


# ---- contact points -----------------------------------------------------------


def test_a_contact_leader_reaches_the_units_of_their_contact_points_only(district, campaign):
    leader = UserFactory()
    grant(leader, Role.CONTACT_LEADER, district.street)
    ContactPoint.objects.create(campaign=campaign, leader=leader, organization=district.community)
    assert [p.organization for p in selectors.contact_points_for(leader)] == [district.community]
    # The unit itself, not its branches, and nothing else the grant lets them read.
    assert list(selectors.contact_reach(leader)) == [district.community]
    assert not selectors.contact_reach(district.users["committee"]).exists()


def test_contact_reach_can_be_narrowed_to_one_campaign(district, campaign):
    leader = UserFactory()
    other = Campaign.objects.create(
        organization=district.root,
        name="另一次活动",
        start_date=dt.date(2012, 1, 1),
        end_date=dt.date(2012, 12, 31),
    )
    ContactPoint.objects.create(campaign=campaign, leader=leader, organization=district.branch)
    ContactPoint.objects.create(campaign=other, leader=leader, organization=district.far_branch)
    assert set(selectors.contact_reach(leader)) == {district.branch, district.far_branch}
    assert list(selectors.contact_reach(leader, campaign)) == [district.branch]
    assert list(
        selectors.contact_points_for(leader, other).values_list("organization", flat=True)
    ) == [district.far_branch.pk]


def test_an_inactive_leader_reaches_nothing_and_the_admin_everything(district, campaign):
    leader = UserFactory(is_active=False)
    ContactPoint.objects.create(campaign=campaign, leader=leader, organization=district.branch)
    assert not selectors.contact_reach(leader).exists()
    assert selectors.contact_reach(district.users["admin"]).count() == Organization.objects.count()
