"""The 工作进度 dashboard's charts in a real browser (issue 13): ECharts draws
every chart (its canvas has painted pixels) on desktop and phone, under the
CSP, without a script error or sideways scroll; screenshots for the eye."""

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign import plans
from campaign.models import Plan
from orgs import tallies
from orgs.models import Organization
from reviews import rectify
from tests.e2e.conftest import CHROMIUM
from tests.e2e.test_browser import assert_no_sideways_scroll, log_in
from tests.factories import (
    OrganizationFactory,
    filed_plan,
    licheng_campaign,
    make_district,
    sector,
)
from tests.reviews.test_dashboard_counts import (
    TODAY,
    graded_round,
    opened,
    survey_with_answers,
)

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_hashing(settings, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def _painted(page) -> dict[str, int]:
    """Per chart, the pixels its canvas painted (0: ECharts drew nothing)."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-chart]')].map(box => {
            const canvas = box.querySelector('canvas');
            if (!canvas) return [box.dataset.chart, 0];
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return [box.dataset.chart, n];
        }))"""
    )


def test_the_dashboard_draws_its_charts(
    live_server, page, viewport, screenshot, monkeypatch, django_capture_on_commit_callbacks
):
    district = make_district()
    campaign = licheng_campaign(district)
    # In the campaign's quarters: a plan accepted, items opened (the trend), a
    # closed round's grades (stacked per child).
    with monkeypatch.context() as clock:
        moment = dt.datetime(2011, 5, 10, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        clock.setattr(timezone, "now", lambda: moment)
        plan = filed_plan(campaign, district.branch, district.users["secretary"])
        plans.plan_accept(plan=plan, user=district.users["committee"])
        opened(district, campaign, district.far_branch, TODAY, by="office")
    graded_round(district, campaign, django_capture_on_commit_callbacks)
    # A few more streets with branches, plans in every state and late items.
    rural = sector("农村")
    states = ["accepted", "submitted", "returned", "draft"]
    for n in range(5):
        street = OrganizationFactory(
            parent=district.street.parent,
            name=f"第{n + 3}街道党工委",
            kind=Organization.Kind.WORKING_COMMITTEE,
        )
        for i in range(n + 2):
            branch = OrganizationFactory(parent=street, sector=rural)
            if i % 3 != 2:
                Plan.objects.create(campaign=campaign, organization=branch, state=states[i % 4])
            if i % 2 == 0:
                opened(district, campaign, branch, TODAY - dt.timedelta(days=3), by="office")
    tallies.recount(["plans"])  # the plans above were written in bulk
    for unit in (district.branch, district.sibling):
        opened(district, campaign, unit, TODAY - dt.timedelta(days=3))
    rectify.rectification_flag_overdue(TODAY)
    survey_with_answers(district, campaign)

    page.goto(live_server.url + reverse("login"))
    log_in(page, district.users["office"].username)
    page.goto(
        live_server.url
        + reverse("campaign:dashboard", kwargs={"pk": district.root.pk})
        + f"?campaign={campaign.pk}"
    )
    page.wait_for_selector("[data-chart] canvas")
    page.wait_for_timeout(300)
    painted = _painted(page)
    assert {"plans", "rectify", "satisfaction", "trend"} <= set(painted)
    assert any(key.startswith("grades-") and key.endswith("-children") for key in painted)
    assert all(n > 500 for n in painted.values()), painted
    assert page.problems == []
    assert_no_sideways_scroll(page)
    screenshot(page, "dashboard")
    # Resized (a phone turned, a window narrowed), the charts follow.
    page.set_viewport_size({"width": 700 if viewport == "phone" else 900, "height": 800})
    page.wait_for_timeout(400)
    assert all(n > 500 for n in _painted(page).values())
