"""Pages keep the Content-Security-Policy in a real browser: every page an office
user and the admin open (the admin's own pages included) runs without a single
refused script or handler, and the behaviours moved out of inline handlers work."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaign.models import Campaign
from campaign.seeds import seed_data
from tests.e2e.conftest import CHROMIUM
from tests.e2e.test_browser import log_in
from tests.factories import make_district, sector

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_pages_run_under_the_policy(live_server, page, viewport, screenshot):
    district = make_district()
    for guidance in seed_data("licheng")["sector_guidance"] + seed_data("xuhui")["sector_guidance"]:
        sector(guidance["sector"])
    for name in ("licheng", "xuhui"):
        call_command("load_campaign", name, "--root", district.root.code, verbosity=0)
    campaign = Campaign.objects.order_by("pk").first()
    other = Campaign.objects.exclude(pk=campaign.pk).get()
    refused = []
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.goto(live_server.url + reverse("login"))
    log_in(page, "admin")
    paths = [
        reverse("home"),
        reverse("orgs:tree"),
        reverse("orgs:member_list"),
        reverse("orgs:import_upload"),
        reverse("campaign:plan_list"),
        reverse("campaign:dashboard", args=[district.root.pk]),
        reverse("campaign:plan_print", args=[campaign.pk, district.branch.pk]),
        reverse("pledges:pledge_list"),
        reverse("admin:index"),
        reverse("admin:orgs_organization_changelist"),
        reverse("admin:campaign_campaign_change", args=[campaign.pk]),
    ]
    for path in paths:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert refused == [], (path, refused)
    screenshot(page, "admin-campaign")

    # The dashboard's campaign switch submits itself (was an inline onchange).
    page.goto(live_server.url + reverse("campaign:dashboard", args=[district.root.pk]))
    select = page.locator('select[name="campaign"]')
    current = select.input_value()
    target = str(other.pk if current == str(campaign.pk) else campaign.pk)
    with page.expect_navigation():
        select.select_option(target)
    assert f"campaign={target}" in page.url
    assert refused == []
    assert page.problems == []
