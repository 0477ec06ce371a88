"""The top bar's grouped menu in a real browser: one row at 1280 px with the
counts on the bar, each group opened by mouse or keyboard and closed by Escape
or by opening another; on a phone every link is in the ☰ menu."""

from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.e2e.test_browser import assert_no_sideways_scroll, log_in
from tests.factories import filed_plan, licheng_campaign, make_district

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_grouped_menu(live_server, page, viewport, screenshot):
    district = make_district()
    campaign = licheng_campaign(district)
    filed_plan(campaign, district.branch, district.users["secretary"])  # to 备案 above
    page.goto(live_server.url + "/")
    log_in(page, "committee")  # a long menu (工作进度, 导入) and a count
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    nav = page.locator("nav.nav")
    members = nav.get_by_role("link", name="党员名册", exact=True)
    bulletins = nav.get_by_role("link", name="工作简报", exact=True)
    groups = nav.locator("details.nav-group > summary")
    if viewport == "phone":
        expect(nav).to_be_hidden()
        page.locator("label.menu-button").tap()
        expect(members).to_be_visible()  # the groups open inside the phone menu
        expect(bulletins).to_be_visible()
        assert_no_sideways_scroll(page)
        screenshot(page, "menu")
        members.tap()
        expect(page.get_by_role("heading", name="党员名册")).to_be_visible()
        return

    # One row: every item of the bar at the same height, the counts on it.
    tops = page.evaluate(
        """() => [...document.querySelectorAll('nav.nav > a, nav.nav > details > summary')]
            .map(el => Math.round(el.getBoundingClientRect().top))"""
    )
    assert len(set(tops)) == 1, tops
    height = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
    assert height < 60, height
    expect(nav.get_by_title("待办事项")).to_be_visible()
    expect(members).to_be_hidden()
    screenshot(page, "bar")

    # The keyboard: Enter opens a group, Escape closes it and leaves the focus on it.
    groups.filter(has_text="组织").focus()
    page.keyboard.press("Enter")
    expect(members).to_be_visible()
    screenshot(page, "group-open")
    page.keyboard.press("Escape")
    expect(members).to_be_hidden()
    assert page.evaluate("document.activeElement.textContent.trim()") == "组织"
    # Opening one group closes the other; a click elsewhere closes it.
    groups.filter(has_text="组织").click()
    groups.filter(has_text="工作").click()
    expect(bulletins).to_be_visible()
    expect(members).to_be_hidden()
    page.get_by_role("heading", name="工作台").click()
    expect(bulletins).to_be_hidden()
    groups.filter(has_text="组织").click()
    members.click()
    expect(page.get_by_role("heading", name="党员名册")).to_be_visible()
    assert page.problems == []
