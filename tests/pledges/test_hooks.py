"""Pledges plug into the lower layers through their registries, from PledgesConfig.ready."""

import pytest
from django.utils import translation

from campaign import dashboard
from core import todo
from orgs import hooks
from pledges import services
from pledges.services import pledges_follow_members
from tests.factories import items

pytestmark = pytest.mark.django_db


def test_pledges_follow_a_moved_member_through_the_orgs_hook():
    assert hooks.registered()["pledges"] is pledges_follow_members


def test_pledges_register_their_dashboard_columns():
    group = dashboard.registered()["pledges"]
    assert [c.key for c in group.columns] == ["pledged", "published", "honoured"]


def test_the_registered_counters_count_what_waits_for_the_user(district, campaign):
    pledge = services.pledge_create(
        campaign=campaign,
        user=district.users["secretary"],
        organization=district.branch,
        member=district.member,
        audience="public",
        items=items("每月走访一户"),
    )
    services.pledge_submit(pledge=pledge, user=district.users["secretary"])
    counters = todo.registered()
    assert {"pledges.approve", "pledges.comments"} <= set(counters)
    # The secretary entered it, so it waits for someone else with the right.
    assert counters["pledges.approve"](district.users["secretary"]).count == 0
    waiting = counters["pledges.approve"](district.users["committee"])
    assert (waiting.label, waiting.count) == ("1 份承诺待审核", 1)
    assert waiting.url.endswith("?mine=approve")
    with translation.override("en"):  # labelled when asked, in the reader's language
        assert counters["pledges.approve"](district.users["committee"]).label == (
            "1 pledge awaiting approval"
        )
    assert counters["pledges.approve"](district.users["sibling_secretary"]).count == 0
    assert counters["pledges.comments"](district.users["secretary"]).count == 0
