"""Stored per-organisation counts (orgs.tallies): every service and bulk path keeps
them equal to a recount, the drift check finds a corrupted one, pages read them."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from orgs import services, tallies
from orgs.models import Member, Organization, OrganizationTally
from tests.factories import sector
from tests.orgs.test_imports import (
    MEMBER_HEADERS,
    ORG_HEADERS,
    ORG_ROWS,
    csv_bytes,
    member_rows,
    members,
    orgs,
)

pytestmark = pytest.mark.django_db


def figure(organization, key=tallies.MEMBERS) -> tuple[int, int]:
    """(own, subtree) as stored."""
    row = OrganizationTally.objects.filter(organization=organization, key=key).first()
    return (row.own, row.subtree) if row else (0, 0)


def assert_no_drift():
    assert tallies.drift() == []
    # and the recount has something to say: the stored rows are not simply empty
    assert tallies.stored() == tallies.counted()


def test_the_district_fixture_starts_in_step(district):
    assert_no_drift()
    assert figure(district.root) == (0, 4)
    assert figure(district.branch) == (2, 2)
    assert figure(district.root, tallies.UNITS) == (1, 7)


def test_organization_create_counts_a_unit_up_the_tree(district):
    services.organization_create(
        parent=district.community,
        code="R-S1-C1-B3",
        name="第三党支部",
        kind=Organization.Kind.BRANCH,
        sector=sector(),
    )
    assert figure(district.root, tallies.UNITS) == (1, 8)
    assert figure(district.community, tallies.UNITS) == (1, 4)
    assert_no_drift()


def test_revoking_and_restoring_a_unit(district):
    services.organization_update(organization=district.sibling, is_active=False)
    assert figure(district.street, tallies.UNITS) == (1, 3)
    assert_no_drift()
    services.organization_update(organization=district.sibling, is_active=True)
    assert figure(district.street, tallies.UNITS) == (1, 4)
    assert_no_drift()


def test_a_move_carries_the_subtree_figures(district):
    services.organization_move(organization=district.community, new_parent=district.street2)
    assert figure(district.street) == (0, 0)
    assert figure(district.street2) == (0, 4)  # the far member and the community's three
    assert figure(district.root) == (0, 4)
    assert figure(district.street2, tallies.UNITS) == (1, 5)
    assert_no_drift()


def test_delete_takes_the_unit_off_the_ancestors(district):
    empty = services.organization_create(
        parent=district.street2, code="R-S2-B9", name="空支部", kind="branch", sector=sector()
    )
    services.organization_delete(organization=empty)
    assert figure(district.root, tallies.UNITS) == (1, 7)
    assert_no_drift()


def test_member_create_and_transfer(district):
    services.member_create(
        organization=district.sibling,
        number="N0001",
        name="新党员",
        gender=Member.Gender.MALE,
        birth_date=dt.date(1990, 1, 1),
        joined_on=dt.date(2015, 7, 1),
        category=Member.Category.FULL,
    )
    assert figure(district.sibling) == (2, 2)
    assert figure(district.root) == (0, 5)
    assert_no_drift()
    services.member_transfer(member=district.member, to=district.far_branch, by=None)
    assert figure(district.branch) == (1, 1)
    assert figure(district.street) == (0, 3)
    assert figure(district.street2) == (0, 2)
    assert figure(district.root) == (0, 5)
    assert_no_drift()


def test_member_update_changes_no_count(district):
    before = tallies.stored()
    services.member_update(member=district.member, name="改名")
    assert tallies.stored() == before


def test_imports_keep_the_counts():
    assert orgs(csv_bytes(ORG_HEADERS, ORG_ROWS), "orgs.csv").ok
    assert figure(Organization.objects.get(code="X"), tallies.UNITS) == (1, 4)
    assert_no_drift()
    assert members(csv_bytes(MEMBER_HEADERS, member_rows("X-1-1", 5))).ok
    root = Organization.objects.get(code="X")
    assert figure(root) == (0, 5)
    assert_no_drift()
    # Two members move to another branch by a re-import; a new org moves a subtree.
    rows = member_rows("X-1-1", 5)
    for row in rows[:2]:
        row[6] = "X-2"
    assert members(csv_bytes(MEMBER_HEADERS, rows)).ok
    assert figure(Organization.objects.get(code="X-2")) == (2, 2)
    assert figure(Organization.objects.get(code="X-1")) == (0, 3)
    assert_no_drift()
    moved = [row[:] for row in ORG_ROWS]
    moved[0][2] = "X-2"  # the branch under X-1 moves under X-2, with its three members
    assert orgs(csv_bytes(ORG_HEADERS, moved), "orgs.csv").ok
    assert figure(Organization.objects.get(code="X-2")) == (2, 5)
    assert figure(Organization.objects.get(code="X-1")) == (0, 0)
    assert_no_drift()


def test_a_dry_run_writes_no_count():
    assert orgs(csv_bytes(ORG_HEADERS, ORG_ROWS), "orgs.csv", dry_run=True).ok
    assert not OrganizationTally.objects.exists()


def test_seed_demo_is_in_step():
    call_command("seed_demo", organizations=60, members=300, stdout=io.StringIO())
    assert figure(Organization.objects.get(code="MH")) == (0, 300)
    assert_no_drift()


def test_the_drift_check_reports_and_repairs_a_corrupted_count(district, capsys):
    OrganizationTally.objects.filter(organization=district.street, key=tallies.MEMBERS).update(
        subtree=99
    )
    (found,) = tallies.drift()
    assert (found.code, found.key, found.stored, found.counted) == (
        "R-S1",
        "members",
        (0, 99),
        (0, 3),
    )
    with pytest.raises(CommandError, match="1 处"):
        call_command("check_tallies")
    assert "R-S1 members" in capsys.readouterr().out
    call_command("check_tallies", "--repair")
    assert "已修正 1 处" in capsys.readouterr().out
    assert figure(district.street) == (0, 3)
    assert_no_drift()
    call_command("check_tallies")
    assert "一致" in capsys.readouterr().out


def test_a_missing_row_is_drift_too(district):
    OrganizationTally.objects.filter(organization=district.branch).delete()
    cls = tallies.class_of(district.branch)
    assert {(d.code, d.key) for d in tallies.drift()} == {
        ("R-S1-C1-B1", "members"),
        ("R-S1-C1-B1", "units"),
        ("R-S1-C1-B1", tallies.classed("members", cls)),
        ("R-S1-C1-B1", tallies.classed("units", cls)),
    }
    assert tallies.recount() == 4
    assert_no_drift()


def test_a_registered_counter_is_checked_and_repaired_like_the_others(district, monkeypatch):
    """An app above registers what it counts; the rows, check and repair are shared."""
    monkeypatch.setattr(tallies, "_counters", dict(tallies._counters))

    @tallies.register("cadres")
    def cadres():
        for pk in Member.objects.filter(is_leading_cadre=True).values_list(
            "organization_id", flat=True
        ):
            yield pk, "cadres.leading", 1

    Member.objects.filter(pk=district.member.pk).update(is_leading_cadre=True)
    assert [(d.code, d.key, d.counted) for d in tallies.drift(["cadres"])][0] == (
        "R",
        "cadres.leading",
        (0, 1),
    )
    tallies.adjust({(district.branch.pk, "cadres.leading"): 1})  # what its service would call
    assert tallies.drift() == []
    assert figure(district.street, "cadres.leading") == (0, 1)


def test_pages_read_the_stored_counts(district, login):
    """The tree, an organisation's page and the dashboard show what is stored
    (a corrupted figure shows), not a recount."""
    OrganizationTally.objects.filter(organization=district.street, key=tallies.MEMBERS).update(
        subtree=777
    )
    OrganizationTally.objects.filter(organization=district.branch, key=tallies.MEMBERS).update(
        own=55
    )
    client = login(district.users["office"])
    children = client.get(reverse("orgs:tree_children", kwargs={"pk": district.root.pk}))
    assert "/ 777)" in children.content.decode()
    page = client.get(reverse("orgs:organization_detail", kwargs={"pk": district.branch.pk}))
    assert page.context["direct_members"] == 55
    root_page = client.get(reverse("orgs:organization_detail", kwargs={"pk": district.root.pk}))
    assert [c.subtree_members for c in root_page.context["children"]][0] == 777


def test_class_figures_split_each_figure_by_sector_kind_and_activity(district):
    """Each subtree figure is the sum of its class figures (<key>@<sector>.<kind>)."""
    for (pk, key), (own, subtree) in tallies.stored().items():
        base, cls = tallies.parse(key)
        if cls is not None:
            continue
        parts = [
            v
            for (p, k), v in tallies.stored().items()
            if p == pk and tallies.parse(k)[0] == base and tallies.parse(k)[1] is not None
        ]
        assert (sum(o for o, _ in parts), sum(s for _, s in parts)) == (own, subtree), (pk, key)
    farm = tallies.Class(sector("农村").pk, "branch")
    assert tallies.parse(tallies.classed("plans.3.draft", farm)) == ("plans.3.draft", farm)
    off = farm._replace(active=False)
    assert tallies.parse(tallies.classed("members", off)) == ("members", off)


def test_the_admin_moves_a_unit_s_figures_to_its_new_sector(district, login):
    from tests.orgs.test_issuing_organ import _change_form

    client = login(district.users["admin"])
    url = reverse("admin:orgs_organization_change", args=[district.branch.pk])
    farm = sector("农村")
    response = client.post(url, _change_form(district.branch, sector=farm.pk))
    assert response.status_code == 302
    key = tallies.classed(tallies.MEMBERS, tallies.Class(farm.pk, "branch"))
    assert figure(district.root, key) == (0, 2)
    assert_no_drift()
