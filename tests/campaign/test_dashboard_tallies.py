"""The dashboard reads stored counts (orgs.tallies): plans and pledges are kept by
their services, equal a recount after every move, and a corrupted one is
reported by check_tallies and shown as stored."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.urls import reverse

from campaign import dashboard, plans
from campaign.models import Campaign, Plan
from campaign.selectors import plan_units_q, units_without_plan
from orgs import selectors, services, tallies
from orgs.models import Organization, OrganizationTally
from pledges import services as pledge_services
from pledges.models import Pledge
from tests.factories import OrganizationFactory, filed_plan, items, published, sector

pytestmark = pytest.mark.django_db


def assert_in_step():
    """Every stored figure equals a recount, and the dashboard's figures equal
    what the tables say (a count over the subtree) for the root and each child."""
    assert tallies.drift() == []


def recounted(root: Organization, campaign: Campaign) -> dict:
    """The dashboard's figures for ``root``, counted from the tables."""
    units = Organization.objects.filter(selectors.subtree_q(root), is_active=True)
    should = Organization.objects.filter(selectors.subtree_q(root), plan_units_q(campaign))
    by_state = dict(
        Plan.objects.filter(
            selectors.subtree_q(root, "organization__"),
            plan_units_q(campaign, "organization__"),
            campaign=campaign,
        )
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    pledged = Pledge.objects.filter(selectors.subtree_q(root, "organization__"), campaign=campaign)
    return {
        "units": units.count(),
        "expected": should.count(),
        "plans": {s: by_state.get(s, 0) for s in dashboard.STATES},
        "pledges": {
            "pledged": pledged.count(),
            "published": pledged.filter(published_revision__gt=0).count(),
            "honoured": pledged.filter(outcome=Pledge.Outcome.HONOURED).count(),
        },
    }


def shown(row: dashboard.Row) -> dict:
    return {
        "units": row.units,
        "expected": row.expected,
        "plans": row.plans,
        "pledges": row.counts["pledges"],
    }


def assert_dashboard_counts(district, campaign):
    assert_in_step()
    for code in ("R", "R-S1", "R-S1-C1", "R-S2"):
        top = Organization.objects.get(code=code)  # the numbering as it is now
        found = dashboard.progress(top, campaign)
        assert shown(found.total) == recounted(top, campaign), top.code
        for row in found.children:
            assert row.organization is not None
            assert shown(row) == recounted(row.organization, campaign), row.label
            listed = units_without_plan(district.users["admin"], campaign, row.organization, None)
            assert row.without_plan == listed.count(), row.label


def test_every_plan_move_keeps_the_counts(district, campaign):
    secretary, committee = district.users["secretary"], district.users["committee"]
    plan = plans.plan_for(campaign=campaign, organization=district.branch)
    assert_dashboard_counts(district, campaign)
    key = plans.tally_key(campaign.pk, Plan.State.DRAFT)
    assert OrganizationTally.objects.get(organization=district.root, key=key).subtree == 1
    plan = filed_plan(campaign, district.branch, secretary)  # saved and submitted
    assert_dashboard_counts(district, campaign)
    plan = plans.plan_return(plan=plan, user=committee, reason="请补充")
    assert_dashboard_counts(district, campaign)
    plan = plans.plan_submit(plan=plan, user=secretary)
    assert_dashboard_counts(district, campaign)
    plans.plan_accept(plan=plan, user=committee)
    assert_dashboard_counts(district, campaign)
    total = dashboard.progress(district.root, campaign).total
    assert total.plans[Plan.State.ACCEPTED] == 1 and sum(total.plans.values()) == 1


def test_a_refused_move_changes_no_count(district, campaign):
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    with pytest.raises(plans.PlanError):
        plans.plan_accept(plan=plan, user=district.users["secretary"])  # the unit itself
    assert_dashboard_counts(district, campaign)


def test_every_pledge_move_keeps_the_counts(district, campaign):
    pledge = published(district, campaign, member=district.member)
    assert_dashboard_counts(district, campaign)
    phase = campaign.phases.order_by("start_date").first()
    pledge_services.pledge_outcome_set(
        pledge=pledge, user=district.users["secretary"], outcome="honoured", comment="", phase=phase
    )
    assert_dashboard_counts(district, campaign)
    assert dashboard.progress(district.root, campaign).total.counts["pledges"] == {
        "pledged": 1,
        "published": 1,
        "honoured": 1,
    }
    # revised after publication: back to 草稿, still on the board
    pledge_services.pledge_save(
        pledge=pledge, user=district.users["secretary"], items=items("新的事项")
    )
    assert_dashboard_counts(district, campaign)
    pledge_services.pledge_create(
        campaign=campaign,
        user=district.users["secretary"],
        organization=district.branch,
        audience="parent",
        items=items("建好党员活动室"),
    )
    assert_dashboard_counts(district, campaign)


def test_a_member_moving_takes_the_pledge_counts_along(district, campaign):
    published(district, campaign, member=district.member)
    services.member_transfer(
        member=district.member, to=district.far_branch, by=district.users["admin"]
    )
    assert Pledge.objects.get(member=district.member).organization_id == district.far_branch.pk
    assert_dashboard_counts(district, campaign)
    street2 = dashboard.progress(district.root, campaign).children[1]
    assert street2.organization == district.street2 and street2.counts["pledges"]["pledged"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"kind": Organization.Kind.GENERAL_BRANCH},
        {"sector": "农村"},
    ],
)
def test_a_unit_that_changes_sector_kind_or_activity_moves_its_counts(district, campaign, change):
    """The class figures (by sector, kind, activity) follow the unit's edit: the
    per-sector rows and the plan units stay equal to a recount."""
    filed_plan(campaign, district.branch, district.users["secretary"])
    published(district, campaign, member=district.member)
    values = {k: sector(v) if k == "sector" else v for k, v in change.items()}
    services.organization_update(organization=district.branch, **values)
    assert_dashboard_counts(district, campaign)
    by_sector = {r.label: r for r in dashboard.progress(district.root, campaign).sectors}
    if "sector" in change:
        assert by_sector["农村"].units == 1 and by_sector["农村"].members == 2
        assert by_sector["农村"].plans[Plan.State.SUBMITTED] == 1
    services.organization_update(organization=district.branch, is_active=True, kind="branch")
    assert_dashboard_counts(district, campaign)


def test_a_moved_subtree_takes_its_plan_counts(district, campaign):
    filed_plan(campaign, district.branch, district.users["secretary"])
    services.organization_move(organization=district.community, new_parent=district.street2)
    assert_dashboard_counts(district, campaign)


def test_sector_rows_add_up_to_the_total(district, campaign):
    filed_plan(campaign, district.branch, district.users["secretary"])
    filed_plan(campaign, district.far_branch, district.users["admin"])
    OrganizationFactory(parent=district.street2, sector=sector("农村"))
    found = dashboard.progress(district.root, campaign)
    for figure in ("units", "members", "expected", "without_plan"):
        assert sum(getattr(r, figure) for r in found.sectors) == getattr(found.total, figure)
    assert_dashboard_counts(district, campaign)


def test_drift_in_a_plan_count_is_reported_and_repaired(district, campaign, capsys):
    filed_plan(campaign, district.branch, district.users["secretary"])
    key = tallies.classed(
        plans.tally_key(campaign.pk, Plan.State.SUBMITTED), tallies.class_of(district.branch)
    )
    OrganizationTally.objects.filter(organization=district.street, key=key).update(subtree=40)
    with pytest.raises(CommandError, match="1 处"):
        call_command("check_tallies", "--counter", "plans")
    assert f"R-S1 {key}" in capsys.readouterr().out
    # the page shows what is stored, not a recount
    street = dashboard.progress(district.root, campaign).children[0]
    assert street.plans[Plan.State.SUBMITTED] == 40
    call_command("check_tallies", "--repair")
    assert_dashboard_counts(district, campaign)


def test_drift_in_a_pledge_class_figure_is_reported(district, campaign, capsys):
    published(district, campaign, member=district.member)
    cls = tallies.class_of(district.branch)
    key = tallies.classed(pledge_services.tally_key(campaign.pk, "published"), cls)
    OrganizationTally.objects.filter(organization=district.root, key=key).update(subtree=9)
    with pytest.raises(CommandError):
        call_command("check_tallies")
    assert key in capsys.readouterr().out
    by_sector = {r.label: r for r in dashboard.progress(district.root, campaign).sectors}
    assert by_sector["街道社区"].counts["pledges"]["published"] == 9  # stored, not recounted
    call_command("check_tallies", "--repair")
    assert_in_step()


def test_the_campaign_root_files_no_plan_even_with_a_plan_row(district, campaign):
    """A plan row on the root (nobody above accepts one; an older campaign's
    data, or the admin) is not counted, as the list has it."""
    Plan.objects.create(campaign=campaign, organization=district.root)
    tallies.recount([plans.TALLY])
    assert_dashboard_counts(district, campaign)


def test_the_dashboard_follows_the_participation_scope(district, campaign, login):
    """Units outside the campaign's sectors or kinds are not asked for a plan:
    the dashboard's 尚未报送 is the list's length, per child and in total."""
    farm = sector("农村")
    OrganizationFactory(parent=district.street2, sector=farm, kind=Organization.Kind.BRANCH)
    services.organization_update(organization=district.sibling, sector=farm)
    campaign.participating_kinds = [Organization.Kind.BRANCH]
    campaign.save()
    campaign.participating_sectors.set([farm])
    campaign = Campaign.objects.get(pk=campaign.pk)
    sibling = Organization.objects.get(pk=district.sibling.pk)  # now in 农村
    filed_plan(campaign, sibling, district.users["sibling_secretary"])
    assert_dashboard_counts(district, campaign)
    office = district.users["office"]
    response = login(office).get(reverse("campaign:dashboard", kwargs={"pk": district.root.pk}))
    total = response.context["total"]
    assert total.expected == 2
    assert total.without_plan == units_without_plan(office, campaign, None, None).count() == 1


def test_a_deferred_batch_moves_the_counts_once(district, campaign):
    with tallies.deferred():
        for organization in (district.branch, district.sibling, district.far_branch):
            plans.plan_for(campaign=campaign, organization=organization)
        key = plans.tally_key(campaign.pk, Plan.State.DRAFT)
        assert not OrganizationTally.objects.filter(key=key).exists()  # not yet
    assert OrganizationTally.objects.get(organization=district.root, key=key).subtree == 3
    assert_dashboard_counts(district, campaign)


def test_a_large_adjustment_is_a_recount(district, campaign, monkeypatch):
    monkeypatch.setattr(tallies, "ADJUST_LIMIT", 1)
    for organization in (district.branch, district.sibling):
        plans.plan_for(campaign=campaign, organization=organization)
    Plan.objects.filter(organization=district.sibling).update(state=Plan.State.SUBMITTED)
    # two figures: over the limit, so the plans are recounted (the stray update included)
    tallies.adjust({(district.branch.pk, "plans.x"): 1, (district.sibling.pk, "plans.y"): 1})
    assert_dashboard_counts(district, campaign)


def test_a_narrower_scope_is_summed_from_the_classes_that_take_part(
    district, campaign, monkeypatch
):
    """Until the participation fields land: the same narrowing applied to
    plan_units_q (the list) and to the classes the dashboard sums."""
    from django.db.models import Q

    from campaign import selectors as campaign_selectors

    farm = sector("农村")
    services.organization_update(organization=district.sibling, sector=farm)
    OrganizationFactory(parent=district.street2, sector=farm, kind=Organization.Kind.BRANCH)
    filed_plan(campaign, district.sibling, district.users["sibling_secretary"])
    filed_plan(campaign, district.branch, district.users["secretary"])  # outside the scope
    wider = campaign_selectors.plan_units_q

    def narrower(campaign, prefix=""):
        return wider(campaign, prefix) & Q(**{f"{prefix}sector": farm, f"{prefix}kind": "branch"})

    monkeypatch.setattr(campaign_selectors, "plan_units_q", narrower)
    monkeypatch.setattr(
        "tests.campaign.test_dashboard_tallies.plan_units_q", narrower, raising=True
    )
    monkeypatch.setattr(
        dashboard,
        "takes_part",
        lambda campaign: (
            lambda cls: cls.active and cls.sector_id == farm.pk and cls.kind == "branch"
        ),
    )
    assert_dashboard_counts(district, campaign)
    total = dashboard.progress(district.root, campaign).total
    assert (total.expected, total.without_plan, total.plans[Plan.State.SUBMITTED]) == (2, 1, 1)
