"""A branch secretary enters a member's 公开承诺 and takes it to the public board; a
visitor on a phone reads it and leaves a comment, which shows once the branch
approves it. Desktop and phone for the secretary, always a phone for the visitor.
Every key step is screenshotted to test-artifacts/."""

from pathlib import Path

import pytest

from pledges import services
from pledges.models import Pledge
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, open_page
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

ITEMS = [
    ("每月走访联系困难群众不少于2户，帮助解决实际困难", "2011-06-30", "走访记录、群众评议"),
    ("带头参加社区“红色管家”志愿服务，每季度不少于4次", "2011-12-31", "志愿服务台账"),
]
COMMENT = "王大爷家的水管已经修好了，谢谢党员同志！"
MOBILE = "13800138000"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def visitor(chromium_browser):
    """A new, anonymous phone context, collecting problems like the ``page`` fixture.
    (Requested before ``screenshot`` so it is still open for a ``-FAILED`` shot.)"""
    context, visitor = open_page(chromium_browser, "phone")
    yield visitor
    context.close()


def assert_fits_width(page) -> None:
    sizes = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1] + 1, f"{page.url} scrolls sideways: {sizes}"


def test_secretary_publishes_member_pledge_and_visitor_comments(
    live_server, page, viewport, visitor, screenshot
):
    district = make_district()
    member = district.member
    if not member.mobile:
        member.mobile = MOBILE
        member.save(update_fields=["mobile"])
    assert member.mobile
    assert member.user_id is None  # no login: the branch enters the pledge for them
    licheng_campaign(district)

    # The branch secretary opens 公开承诺 (nothing yet), then 录入承诺 on the member's page.
    page.goto(live_server.url + "/")
    log_in(page, "secretary")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    open_nav(page, viewport, "公开承诺")
    expect(page.get_by_role("heading", name="公开承诺", exact=True)).to_be_visible()
    expect(page.locator("table.table")).to_contain_text("没有符合条件的承诺")
    assert_no_sideways_scroll(page)
    open_nav(page, viewport, "党员名册")
    press(page.locator("table.members").get_by_role("link", name=member.name), viewport)
    expect(page.get_by_role("heading", level=1)).to_have_text(member.name)
    press(page.get_by_role("link", name="录入承诺"), viewport)
    expect(page).to_have_url(f"{live_server.url}/pledges/new/?member={member.pk}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(member.name)
    expect(page.locator("main")).to_contain_text("为没有账号的党员代为录入承诺")

    page.locator("[name=audience]").select_option("public")
    for n, (content, due, verification) in enumerate(ITEMS):
        page.locator(f"[name=items-{n}-content]").fill(content)
        page.locator(f"[name=items-{n}-due_date]").fill(due)
        page.locator(f"[name=items-{n}-verification]").fill(verification)
    criterion = page.locator("[name=items-0-criterion]")
    criterion_text = ""
    if criterion.locator("option").count() > 1:
        criterion.select_option(index=1)
        criterion_text = criterion.locator("option").nth(1).inner_text().strip()
    assert_no_sideways_scroll(page)
    screenshot(page, "filled-form")

    press(page.get_by_role("button", name="保存", exact=True), viewport)
    expect(page.locator(".messages")).to_contain_text("承诺已保存为草稿")
    state = page.locator("dl.facts span.tag")
    expect(state).to_have_text("草稿")
    expect(page.locator("dl.facts")).to_contain_text("由党支部代为录入")
    items = page.locator(".pledge-items")
    for content, _due, _verification in ITEMS:
        expect(items).to_contain_text(content)
    expect(items).to_contain_text("2011年6月30日")
    if criterion_text:
        expect(items).to_contain_text("对应标准")
    assert_no_sideways_scroll(page)
    screenshot(page, "draft")

    press(page.get_by_role("button", name="提交审核"), viewport)
    expect(page.locator(".messages")).to_contain_text("已提交审核")
    expect(state).to_have_text("已提交")
    # The secretary entered it, so someone else approves it (the campaign's default):
    # no 审核通过 here; the committee above approves it, then the secretary publishes.
    expect(page.get_by_role("button", name="审核通过")).to_have_count(0)
    expect(page.locator("section.review")).to_contain_text("须由另一位有审核权的同志审核通过")
    services.pledge_approve(pledge=Pledge.objects.get(), user=district.users["committee"])
    page.reload()
    expect(state).to_have_text("已审核")
    press(page.get_by_role("button", name="公示", exact=True), viewport)
    expect(page.locator(".messages")).to_contain_text("已公示")
    expect(state).to_have_text("已公示")
    expect(page.locator("section.comments")).to_contain_text("暂无留言")
    assert_no_sideways_scroll(page)
    screenshot(page, "published")
    pledge_url = page.url

    # An anonymous visitor reads the board on a phone and leaves a comment.
    board_url = f"{live_server.url}/gongshi/{district.branch.code}/"
    visitor.goto(board_url)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(district.branch.name)
    card = visitor.locator("article.pledge")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=3)).to_contain_text(member.name)
    for content, _due, _verification in ITEMS:
        expect(card).to_contain_text(content)
    assert member.mobile not in visitor.content()
    assert_fits_width(visitor)
    screenshot(visitor, "board-phone")

    card.get_by_text("我要监督（留言）").tap()
    card.get_by_label("意见建议").fill(COMMENT)
    card.get_by_label("署名（可不填）").fill("社区居民")
    screenshot(visitor, "board-comment-form")
    card.get_by_role("button", name="提交留言").tap()
    expect(visitor.locator(".messages")).to_contain_text("感谢您的监督")
    expect(visitor.locator("article.pledge")).to_have_count(1)
    expect(visitor.locator("main")).not_to_contain_text(COMMENT)  # held for moderation
    assert_fits_width(visitor)
    screenshot(visitor, "board-commented")

    # The secretary sees it waiting and lets it show.
    page.goto(pledge_url)
    comments = page.locator("section.comments")
    entry = comments.locator("li").filter(has_text=COMMENT)
    expect(entry).to_have_count(1)
    expect(entry.locator(".tag")).to_have_text("待审核")
    assert_no_sideways_scroll(page)
    screenshot(page, "comment-pending")
    press(entry.get_by_role("button", name="显示", exact=True), viewport)
    expect(page.locator(".messages")).to_contain_text("留言已处理")
    expect(page).to_have_url(pledge_url)
    entry = page.locator("section.comments li").filter(has_text=COMMENT)
    expect(entry.locator(".tag")).to_have_text("已显示")
    expect(entry.get_by_role("button", name="显示", exact=True)).to_have_count(0)
    screenshot(page, "comment-approved")

    visitor.reload()
    expect(visitor.locator("article.pledge .comments")).to_contain_text(COMMENT)
    expect(visitor.locator("article.pledge .comments")).to_contain_text("社区居民")
    assert member.mobile not in visitor.content()
    assert_fits_width(visitor)
    screenshot(visitor, "board-with-comment")

    assert visitor.problems == []
    assert page.problems == []


def _in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
        }""",
        selector,
    )


def test_a_visitor_on_a_phone_sees_the_answer_to_the_comment(live_server, visitor, settings):
    """390×844: the board is long (several members' pledges); after posting on the
    last one, the thanks are on screen, and so is a refusal with the text kept."""
    from tests.factories import MemberFactory, published

    settings.PLEDGE_COMMENT_LIMIT = 1
    district = make_district()
    campaign = licheng_campaign(district)
    pledges = [
        published(district, campaign, member=MemberFactory(organization=district.branch))
        for _ in range(5)
    ]
    last = pledges[-1]
    visitor.goto(f"{live_server.url}/gongshi/{district.branch.code}/")
    card = visitor.locator(f"#pledge-{last.pk}")
    card.get_by_text("我要监督（留言）").tap()
    card.get_by_label("意见建议").fill(COMMENT)
    card.get_by_role("button", name="提交留言").tap()
    thanks = f"#pledge-{last.pk}-comment .messages"
    expect(visitor.locator(thanks)).to_contain_text("感谢您的监督")
    assert visitor.evaluate("window.scrollY") > 844  # the page did scroll down to it
    assert _in_viewport(visitor, thanks)
    ARTIFACTS.mkdir(exist_ok=True)
    visitor.screenshot(path=str(ARTIFACTS / "comment-answer-phone-01-thanks.png"))

    card = visitor.locator(f"#pledge-{last.pk}")
    card.get_by_text("我要监督（留言）").tap()
    card.get_by_label("意见建议").fill("再补充一条意见")
    card.get_by_role("button", name="提交留言").tap()
    expect(visitor.locator(thanks)).to_contain_text("留言过于频繁")
    assert _in_viewport(visitor, thanks)
    expect(visitor.locator(f"#pledge-{last.pk}").get_by_label("意见建议")).to_have_value(
        "再补充一条意见"
    )
    visitor.screenshot(path=str(ARTIFACTS / "comment-answer-phone-02-refusal.png"))
    # The refusal answered 400 on purpose; nothing else went wrong.
    assert [p for p in visitor.problems if "/comment/" not in p] == []
