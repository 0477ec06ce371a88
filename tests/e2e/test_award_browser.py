"""The office hands a category's quota down to the streets on the quota page, at
phone and desktop sizes (screenshots in test-artifacts/)."""

import datetime as dt
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.factories import licheng_campaign, make_district

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

from tests.e2e.test_browser import assert_no_sideways_scroll, log_in  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_office_allocates_a_quota(live_server, page, viewport, screenshot):
    from awards.models import AwardCategory, AwardRound

    district = make_district()
    campaign = licheng_campaign(district)
    start = campaign.start_date
    round_ = AwardRound.objects.create(
        campaign=campaign,
        name="2011年“七一”表彰",
        nomination_deadline=start + dt.timedelta(days=30),
        endorsement_deadline=start + dt.timedelta(days=40),
        review_deadline=start + dt.timedelta(days=50),
    )
    category = AwardCategory.objects.create(
        round=round_, name="优秀共产党员", subject="member", total_quota=10
    )
    page.goto(f"{live_server.url}/awards/categories/{category.pk}/quota/{district.root.pk}/")
    log_in(page, "office")
    page.get_by_role("button", name="按比例分配到下级").click()
    expect(page.get_by_text("已按比例把名额分配到下级")).to_be_visible()
    expect(page.get_by_label("第一街道党工委")).to_have_value("8")
    screenshot(page, "quota")
    assert_no_sideways_scroll(page)
    page.goto(f"{live_server.url}/awards/{round_.pk}/")
    expect(page.get_by_text("优秀共产党员").first).to_be_visible()
    screenshot(page, "round")
    assert_no_sideways_scroll(page)
