"""A branch secretary whose plan was returned sees the 待办 and 通知 badges in the
menu (on the phone, on the ☰ button), opens the notification and lands on the
plan; desktop and phone, screenshotted to test-artifacts/."""

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.factories import filed_plan, licheng_campaign, make_district

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

from tests.e2e.test_browser import (  # noqa: E402 (after the skips)
    assert_no_sideways_scroll,
    log_in,
    press,
)

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_secretary_follows_the_notice_of_a_returned_plan(live_server, page, viewport, screenshot):
    from campaign import plans
    from core import todo

    district = make_district()
    campaign = licheng_campaign(district)
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    plans.plan_return(plan=plan, user=district.users["committee"], reason="工作措施不具体")
    waiting = todo.todo_total(todo.todos_for(district.users["secretary"]))

    page.goto(live_server.url + "/")
    log_in(page, "secretary")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    if viewport == "phone":
        expect(page.locator("label.menu-button .badge")).to_have_text(str(waiting + 1))
        screenshot(page, "home-closed-menu")
        page.locator("label.menu-button").tap()
    nav = page.locator("nav.nav")
    expect(nav.get_by_title("待办事项")).to_have_text(str(waiting))
    expect(nav.get_by_title("未读通知")).to_have_text("1")
    assert_no_sideways_scroll(page)
    screenshot(page, "menu")

    press(nav.get_by_role("link", name=re.compile("^通知")), viewport)
    expect(page.get_by_role("heading", name="站内通知")).to_be_visible()
    notice = page.get_by_role("button", name="第一党支部的实施方案被退回：工作措施不具体")
    expect(notice).to_be_visible()
    assert_no_sideways_scroll(page)
    screenshot(page, "notifications")

    press(notice, viewport)
    expect(page).to_have_url(re.compile(rf"/campaign/{campaign.pk}/plans/{district.branch.pk}/"))
    expect(page.locator("nav.nav").get_by_title("未读通知")).to_have_count(0)
    assert page.problems == []
