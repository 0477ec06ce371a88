"""A committee staff member's everyday path through a real browser, desktop and phone.

Logs in through the login form, browses and searches the organisation tree
(htmx lazy loading), filters the member roll and opens a member. Every step is
screenshotted to test-artifacts/ for a human to look at.
"""

import datetime as dt
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.factories import PASSWORD, MemberFactory, make_district

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # make_district() hashes seven passwords; the live server shares these settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def press(locator, viewport: str, **kwargs) -> None:
    """A tap on the phone, a click on the desktop."""
    if viewport == "phone":
        locator.tap(**kwargs)
    else:
        locator.click(**kwargs)


def open_nav(page, viewport: str, link: str) -> None:
    """Follow a top-bar link; on a phone the links sit behind the ☰ toggle (their
    groups open inside it), on the desktop a grouped link behind its group."""
    nav = page.locator("nav.nav")
    nav_link = nav.get_by_role("link", name=link, exact=True)
    if viewport == "phone":
        expect(nav_link).to_be_hidden()
        page.locator("label.menu-button").tap()
    elif not nav_link.is_visible():
        # a closed group's links are hidden, which role locators skip: by text
        nav.locator(f'details.nav-group:has(a:text-is("{link}")) > summary').click()
    expect(nav_link).to_be_visible()
    press(nav_link, viewport)


def expand(page, viewport: str, organization) -> None:
    """Open a tree node by its toggle (the left edge of its <summary>, never the name link)."""
    summary = page.locator(f"#node-{organization.pk} > details > summary")
    press(summary, viewport, position={"x": 6, "y": 8})


def log_in(page, username: str) -> None:
    """Fill in and submit the login form the page is showing."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def assert_no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


def test_committee_staff_browses_tree_and_members(live_server, page, viewport, screenshot):
    district = make_district()
    member = MemberFactory(
        organization=district.sibling,
        name="李晓红",
        number="GX2010-0042",
        birth_date=dt.date(1986, 3, 12),
        joined_on=dt.date(2009, 7, 1),
        post="社区工作者",
        mobile="13912345678",
    )

    # Log in through the real form (the home page redirects there).
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/login/?next=/")
    screenshot(page, "login")
    log_in(page, "committee")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.locator(".card.todo")).to_contain_text("待办")  # first: what waits for them
    expect(page.locator(".card").filter(has_text="我的角色")).to_contain_text(district.street.name)
    assert_no_sideways_scroll(page)
    screenshot(page, "home")

    if viewport == "phone":
        page.locator("label.menu-button").tap()
        expect(page.locator("nav.nav")).to_be_visible()
        screenshot(page, "menu-open")
        page.locator("label.menu-button").tap()
        expect(page.locator("nav.nav")).to_be_hidden()

    # The tree: the grant's subtree only; the top node opens and loads its children.
    open_nav(page, viewport, "组织架构")
    expect(page).to_have_url(live_server.url + "/orgs/")
    tree = page.locator(".tree")
    expect(tree.get_by_role("link", name=district.street.name)).to_be_visible()
    expect(page.locator(f"#node-{district.community.pk}")).to_be_attached()  # via htmx
    expect(tree).not_to_contain_text(district.street2.name)
    expect(tree).not_to_contain_text(district.root.name)
    screenshot(page, "tree")

    # Expanding a node fetches its children with htmx.
    children = page.locator(f"#children-{district.community.pk}")
    expect(children.get_by_role("link", name=district.branch.name)).to_be_hidden()
    expand(page, viewport, district.community)
    community = page.locator(f"#node-{district.community.pk}")
    expect(community.get_by_role("link", name=district.community.name)).to_be_visible()
    expect(children.get_by_role("link", name=district.branch.name)).to_be_visible()
    expect(children.get_by_role("link", name=district.sibling.name)).to_be_visible()
    expect(children).not_to_contain_text("加载中")
    assert_no_sideways_scroll(page)
    screenshot(page, "tree-expanded")

    # Search by name: matches inside the scope, nothing from the other street.
    page.get_by_role("searchbox", name="查找党组织").fill("党支部")
    press(page.get_by_role("button", name="查找"), viewport)
    expect(page).to_have_url(live_server.url + "/orgs/?q=%E5%85%9A%E6%94%AF%E9%83%A8")
    results = page.locator("table tbody")
    expect(results.get_by_role("link", name=district.branch.name)).to_be_visible()
    expect(results.get_by_role("link", name=district.sibling.name)).to_be_visible()
    expect(results).not_to_contain_text(district.far_branch.name)
    assert_no_sideways_scroll(page)
    screenshot(page, "tree-search")

    # The member roll, filtered by name.
    open_nav(page, viewport, "党员名册")
    expect(page.get_by_role("heading", name="党员名册")).to_be_visible()
    # The branch's two (one with a login), the sibling's and 李晓红.
    expect(page.locator(".summary")).to_contain_text("共 4 名党员")
    expect(page.locator("table.members")).not_to_contain_text(district.far_member.name)
    assert_no_sideways_scroll(page)
    screenshot(page, "members")
    page.get_by_label("姓名或编号").fill("晓红")
    press(page.get_by_role("button", name="筛选"), viewport)
    expect(page.locator(".summary")).to_contain_text("共 1 名党员")
    rows = page.locator("table.members tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(member.number)
    expect(rows.first).to_contain_text(district.sibling.name)
    assert_no_sideways_scroll(page)
    screenshot(page, "members-filtered")

    # The member's page.
    press(rows.first.get_by_role("link", name=member.name), viewport)
    expect(page).to_have_url(f"{live_server.url}/orgs/members/{member.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(member.name)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(member.number)
    expect(facts).to_contain_text("1986年3月12日")
    expect(facts).to_contain_text(district.sibling.name)
    assert_no_sideways_scroll(page)
    screenshot(page, "member-detail")

    assert page.problems == []


def test_collapsed_tree_nodes_show_their_names(live_server, page, viewport, screenshot):
    district = make_district()
    page.goto(live_server.url + "/login/?next=/orgs/")
    log_in(page, "office")
    expect(page).to_have_url(live_server.url + "/orgs/")
    tree = page.locator(".tree")
    # root is open on load; both streets are collapsed, each with children
    expect(tree.get_by_role("link", name=district.root.name)).to_be_visible()
    expect(page.locator(f"#node-{district.street2.pk}")).to_be_attached()
    screenshot(page, "collapsed")
    expect(tree.get_by_role("link", name=district.street.name)).to_be_visible(timeout=2_000)
    expect(tree.get_by_role("link", name=district.street2.name)).to_be_visible(timeout=2_000)
