"""A branch secretary files the 实施方案 and the committee above accepts it, in a real
browser on a desktop and a phone. Every step is screenshotted to test-artifacts/."""

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.factories import licheng_campaign, make_district

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

from tests.e2e.test_browser import (  # noqa: E402 (after the skips, like the helpers' module)
    assert_no_sideways_scroll,
    log_in,
    open_nav,
    press,
)

pytestmark = pytest.mark.browser

FOUR_CLEAR = {
    "实践主题": "争当和谐先锋，服务社区居民",
    "活动载体": "党员责任区、“红色管家”志愿服务队",
    "创建条件": "对照“五个好”：领导班子好、党员队伍好、工作机制好、工作业绩好、群众反映好",
    "承诺内容": "年内为居民办好十件实事，每月一次党员服务日",
}


def section(page, label):
    """A plan field by its label; a required one's label ends in the (aria-hidden) *."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_secretary_files_plan_and_committee_accepts(live_server, page, viewport, screenshot):
    district = make_district()
    licheng_campaign(district)

    # The branch secretary finds the branch among the units with no plan yet.
    page.goto(live_server.url + "/")
    log_in(page, "secretary")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    open_nav(page, viewport, "实施方案")
    expect(page.get_by_role("heading", name="实施方案", exact=True)).to_be_visible()
    expect(page.locator("table.plans")).to_contain_text("没有符合条件的方案")
    press(page.get_by_role("link", name="尚未报送的单位"), viewport)
    rows = page.locator("table.missing tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("未填写")
    assert_no_sideways_scroll(page)
    screenshot(page, "missing")

    # An empty draft form, with the guidance for the branch's sector.
    press(rows.first.get_by_role("link", name=district.branch.name), viewport)
    expect(page.get_by_role("heading", level=1)).to_contain_text(district.branch.name)
    expect(page.locator(".plan-state")).to_have_text("未填写")
    expect(page.locator(".guidance")).to_contain_text("和谐先锋")
    assert_no_sideways_scroll(page)
    screenshot(page, "empty-form")

    for label, value in FOUR_CLEAR.items():
        section(page, label).fill(value)
    press(page.get_by_role("button", name="保存草稿", exact=True), viewport)
    expect(page.locator(".messages")).to_contain_text("方案已保存")
    expect(page.locator(".plan-state")).to_have_text("草稿")
    expect(section(page, "实践主题")).to_have_value(FOUR_CLEAR["实践主题"])
    assert_no_sideways_scroll(page)
    screenshot(page, "saved")

    # An edit typed but not saved goes along with 报送: saved, then submitted.
    section(page, "承诺内容").fill(FOUR_CLEAR["承诺内容"] + "（未另存）")
    press(page.get_by_role("button", name="保存并报送上级党组织"), viewport)
    expect(page.locator(".messages")).to_contain_text("方案已保存并报送上级党组织")
    expect(page.locator(".plan-state")).to_have_text("已报送")
    expect(section(page, "实践主题")).to_have_count(0)  # no longer editable
    expect(page.locator(".plan-content")).to_contain_text(FOUR_CLEAR["承诺内容"] + "（未另存）")
    screenshot(page, "submitted")

    # The committee user above the branch accepts it.
    page.context.clear_cookies()
    page.goto(live_server.url + "/login/?next=/campaign/plans/")
    log_in(page, "committee")
    expect(page.get_by_role("heading", name="实施方案", exact=True)).to_be_visible()
    row = page.locator("table.plans tbody tr").filter(has_text=district.branch.name)
    expect(row).to_contain_text("已报送")
    assert_no_sideways_scroll(page)
    screenshot(page, "list")
    press(row.get_by_role("link", name=district.branch.name), viewport)
    expect(page.locator(".plan-content")).to_contain_text(FOUR_CLEAR["实践主题"])
    screenshot(page, "to-review")
    press(page.get_by_role("button", name="同意备案"), viewport)
    expect(page.locator(".messages")).to_contain_text("方案已备案")
    expect(page.locator(".plan-state")).to_have_text("已备案")
    expect(page.get_by_role("button", name="同意备案")).to_have_count(0)
    assert_no_sideways_scroll(page)
    screenshot(page, "accepted")

    # The printable page: the plan alone, no navigation.
    page.goto(page.url + "print/")
    expect(page.locator("h1")).to_contain_text("实施方案")
    expect(page.locator("nav")).to_have_count(0)
    expect(page.locator("body")).to_contain_text(FOUR_CLEAR["创建条件"])
    assert_no_sideways_scroll(page)
    screenshot(page, "print")

    assert page.problems == []
