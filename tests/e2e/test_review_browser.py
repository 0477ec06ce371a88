"""A branch secretary fills the branch's grid on a phone (and a desktop), the
committee above closes and publishes the round, and a member sees their own
result, in a real browser. Screenshots go to test-artifacts/."""

import datetime as dt
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


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_secretary_scores_the_branch_committee_closes_member_sees_result(
    live_server, page, viewport, screenshot
):
    from reviews import services
    from reviews.models import ReviewKind

    district = make_district()
    campaign = licheng_campaign(district)
    committee = district.users["committee"]
    round_ = services.round_open(
        round_=services.round_create(
            user=committee,
            campaign=campaign,
            kind=ReviewKind.objects.get(campaign=campaign, name="党员民主评议"),
            organization=district.community,
            period="2010年第四季度",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        ),
        user=committee,
    )
    criteria = list(round_.kind.rubric.criteria.all())
    members = [district.member, district.own_member]

    # The secretary finds the grid in the home page's 待办 and scores both members.
    page.goto(live_server.url + "/")
    log_in(page, "secretary")
    todo = page.get_by_role(
        "link", name="第一党支部：2010年第四季度党员民主评议待评分（已提交 0/2）"
    )
    press(todo, viewport)
    expect(page.get_by_role("heading", level=1)).to_contain_text("第一党支部")
    assert_no_sideways_scroll(page)
    screenshot(page, "grid-empty")
    for member in members:
        for criterion in criteria:
            page.get_by_label(f"{member.name} {criterion.title}", exact=True).fill("18")
    page.get_by_label(f"{district.member.name} 意见建议", exact=True).fill("联系群众还要加强")
    press(page.get_by_role("button", name="提交评分"), viewport)
    expect(page.locator(".messages")).to_contain_text("已提交 2 人的评分")
    expect(
        page.get_by_label(f"{district.member.name} {criteria[0].title}", exact=True)
    ).to_have_value("18")
    assert_no_sideways_scroll(page)
    screenshot(page, "grid-submitted")

    # The committee above closes the round (results computed) and publishes it.
    page.context.clear_cookies()
    page.goto(live_server.url + f"/login/?next=/reviews/{round_.pk}/")
    log_in(page, "committee")
    press(page.get_by_role("button", name="结束评议"), viewport)
    expect(page.locator(".messages")).to_contain_text("评议已结束，评分已锁定")
    press(page.get_by_role("button", name="公布结果"), viewport)
    expect(page.locator(".round-state")).to_have_text("已公布")
    press(page.get_by_role("link", name="评议结果"), viewport)
    expect(page.locator("table.results")).to_contain_text("90.00")
    screenshot(page, "results")

    # The member sees their own result, and no co-member's.
    page.context.clear_cookies()
    page.goto(live_server.url + "/")
    log_in(page, "member")
    open_nav(page, viewport, "讲评评议")
    mine = page.locator("section.mine")
    expect(mine).to_contain_text("2010年第四季度党员民主评议")
    expect(mine).to_contain_text("90.00")
    expect(mine).to_contain_text("优秀")
    expect(page.locator("body")).not_to_contain_text(district.member.name)
    assert_no_sideways_scroll(page)
    screenshot(page, "member-result")
    assert page.problems == []
