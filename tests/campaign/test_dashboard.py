"""The progress dashboard: counts over a subtree, per child and per sector, in constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign import dashboard, plans
from campaign.models import Plan
from orgs import tallies
from orgs.models import Member
from tests.factories import MemberFactory, OrganizationFactory, filed_plan, sector

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plans(district, campaign):
    """The branch's plan accepted, the sibling's submitted."""
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    plans.plan_accept(plan=plan, user=district.users["committee"])
    filed_plan(campaign, district.sibling, district.users["sibling_secretary"])


def test_counts_over_the_subtree_per_child_and_per_sector(district, campaign, login):
    response = login(district.users["committee"]).get(
        reverse("campaign:dashboard", kwargs={"pk": district.street.pk})
    )
    assert response.status_code == 200
    context = response.context
    total = context["total"]
    # street, community, two branches; three members (two in the branch)
    assert (total.units, total.members) == (4, 3)
    assert total.plans[Plan.State.ACCEPTED] == 1 and total.plans[Plan.State.SUBMITTED] == 1
    assert total.without_plan == 2
    (community,) = context["children"]
    assert (community.label, community.units, community.plans[Plan.State.ACCEPTED]) == (
        "第一社区党委",
        3,
        1,
    )
    by_sector = {row.label: row for row in context["sectors"]}
    assert (
        by_sector["街道社区"].units == 4 and by_sector["街道社区"].plans[Plan.State.SUBMITTED] == 1
    )
    page = response.content.decode()
    assert "按下级组织" in page and "按领域" in page and 'class="bar"' in page


def test_the_dashboard_follows_scope(district, campaign, login):
    client = login(district.users["secretary"])
    assert (
        client.get(reverse("campaign:dashboard", kwargs={"pk": district.street.pk})).status_code
        == 404
    )
    assert (
        client.get(reverse("campaign:dashboard", kwargs={"pk": district.branch.pk})).status_code
        == 200
    )


def _grow(parent, branches: int):
    for _ in range(branches):
        branch = OrganizationFactory(parent=parent, sector=sector("农村"))
        Member.objects.bulk_create(
            [MemberFactory.build(organization=branch, number=f"D{branch.pk}-{j}") for j in range(5)]
        )


def test_queries_do_not_grow_with_the_subtree(district, campaign, login):
    client = login(district.users["office"])
    url = reverse("campaign:dashboard", kwargs={"pk": district.root.pk})
    _grow(district.community, 4)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(district.community, 40)
    _grow(district.street2, 40)
    with CaptureQueriesContext(connection) as big:
        response = client.get(url)
    assert response.context["total"].units > 90
    assert len(small) == len(big)


def test_registered_columns_are_counted_per_subtree_child_and_sector(
    district, campaign, login, monkeypatch
):
    """A higher app's column group: the stored figures of its tally counter,
    shown after the plan columns."""
    monkeypatch.setattr(dashboard, "_groups", {})
    monkeypatch.setattr(tallies, "_counters", dict(tallies._counters))

    @tallies.register("test")
    def plans_of():
        for plan in Plan.objects.all():
            yield plan.organization_id, f"test.{plan.campaign_id}.all", 1
            if plan.state == Plan.State.ACCEPTED:
                yield plan.organization_id, f"test.{plan.campaign_id}.filed", 1

    dashboard.register_columns(
        "test",
        columns=(
            dashboard.Column("all", "全部方案", "方案总数"),
            dashboard.Column(
                "filed",
                "备案方案",
                "方案已备案",
                link=lambda campaign, organization: f"/filed/{organization.pk}/",
            ),
        ),
    )
    tallies.recount(["test"])  # what the app's services would have kept

    response = login(district.users["committee"]).get(
        reverse("campaign:dashboard", kwargs={"pk": district.street.pk})
    )
    context = response.context
    assert context["total"].counts == {"test": {"all": 2, "filed": 1}}
    (community,) = context["children"]
    assert community.counts == {"test": {"all": 2, "filed": 1}}
    by_sector = {row.label: row.counts for row in context["sectors"]}
    assert by_sector["街道社区"] == {"test": {"all": 2, "filed": 1}}
    page = response.content.decode()
    assert "全部方案" in page and "方案已备案" in page
    assert f'<a href="/filed/{district.community.pk}/">1</a>' in page


def test_without_registered_columns_the_dashboard_shows_plans_only(
    district, campaign, login, monkeypatch
):
    monkeypatch.setattr(dashboard, "_groups", {})
    monkeypatch.setattr(dashboard, "_charts", {})  # the higher apps' charts go with their columns
    response = login(district.users["committee"]).get(
        reverse("campaign:dashboard", kwargs={"pk": district.street.pk})
    )
    assert response.status_code == 200
    assert response.context["total"].counts == {} and response.context["columns"] == []
    assert "已兑现" not in response.content.decode()


def test_registered_link_lists_show_their_links_and_hide_when_empty(
    district, campaign, login, monkeypatch
):
    monkeypatch.setattr(dashboard, "_link_lists", {})
    dashboard.register_links(
        "test",
        "测试链接",
        lambda user, campaign, organization: (
            [(f"{organization.name}的链接", f"/test/{organization.pk}/")]
            if organization.parent_id
            else []
        ),
    )
    client = login(district.users["office"])
    page = client.get(reverse("campaign:dashboard", kwargs={"pk": district.street.pk}))
    assert "测试链接" in page.content.decode()
    assert (
        f'<a href="/test/{district.street.pk}/">第一街道党工委的链接</a>' in page.content.decode()
    )
    page = client.get(reverse("campaign:dashboard", kwargs={"pk": district.root.pk}))
    assert "测试链接" not in page.content.decode()  # no links: no list


def test_a_column_group_needs_a_name_that_can_label_its_counts():
    with pytest.raises(ValueError, match="identifier"):
        dashboard.register_columns("pledges.columns", columns=())


def test_without_plan_is_what_the_missing_list_counts(district, campaign, login):
    """工作进度's 尚未报送 and the 尚未报送的单位 list are one definition: the root
    files no plan, a draft is not filed, a revoked unit is not asked for one
    (before, the dashboard counted the root and the revoked unit and took the
    draft as a plan, so the two pages disagreed)."""
    from campaign.selectors import units_without_plan
    from orgs import services

    Plan.objects.create(campaign=campaign, organization=district.community)  # a draft
    services.organization_update(organization=district.street2, is_active=False)
    office = district.users["office"]
    client = login(office)
    response = client.get(reverse("campaign:dashboard", kwargs={"pk": district.root.pk}))
    context = response.context
    listed = units_without_plan(office, campaign, None, None)
    # the street, the community (a draft) and the far branch; the branch's plan
    # is accepted, the sibling's submitted, the second street revoked
    assert sorted(u.code for u in listed) == ["R-S1", "R-S1-C1", "R-S2-B1"]
    assert context["total"].without_plan == listed.count() == 3
    for child in context["children"]:
        scoped = units_without_plan(office, campaign, child.organization, None)
        assert child.without_plan == scoped.count(), child.label
    by_sector = {row.label: row.without_plan for row in context["sectors"]}
    assert sum(by_sector.values()) == 3
    # The figure leads to the list it counts.
    page = response.content.decode()
    assert f"missing=1&amp;campaign={campaign.pk}" in page
    listed_page = client.get(reverse("campaign:plan_list") + f"?missing=1&campaign={campaign.pk}")
    assert listed_page.context["page"].paginator.count == 3
