"""What each persona meets from the home page: its 待办, and no link it cannot use.

Every persona of ``make_district`` logs in, and every link on the home page
(the menu, the 待办, the cards) and every link on the pages those lead to is
followed: each answers 200. A link that answers 403 or 404 is a link the role
should not have been offered (the pledge import was one for the member and the
contact leader). Each page's tab title is plain text.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from campaign import plans
from campaign.models import ContactPoint, Plan
from core.models import Job
from orgs.selectors import reach_of
from pledges import services as pledge_services
from tests.factories import filed_plan, items, licheng_campaign, published

pytestmark = pytest.mark.django_db

PERSONAS = [
    "no_role",
    "member",
    "contact_leader",
    "secretary",
    "sibling_secretary",
    "committee",
    "office",
    "admin",
]


class _Links(HTMLParser):
    """The hrefs of a page's <a> elements, and its <title> text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _followable(base: str, href: str) -> str | None:
    """The site-local address a link leads to (None for fragments, static files, other sites)."""
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def busy_district(district):
    """Something waiting for every role: a plan to 备案, a returned plan, a unit with
    none filed, pledges to approve and to revise, a comment to moderate, a job."""
    d = district
    d.campaign = licheng_campaign(d)
    ContactPoint.objects.create(
        campaign=d.campaign, leader=d.users["contact_leader"], organization=d.community
    )
    admin, secretary = d.users["admin"], d.users["secretary"]
    # The branch's plan was returned to its secretary; the sibling's waits for 备案;
    # the street (the committee user's own unit) has filed none.
    branch_plan = filed_plan(d.campaign, d.branch, secretary)
    plans.plan_return(plan=branch_plan, user=d.users["committee"], reason="请补充措施")
    filed_plan(d.campaign, d.sibling, d.users["sibling_secretary"])
    # A member's pledge waiting for the branch; the member persona's own, returned.
    waiting = pledge_services.pledge_create(
        campaign=d.campaign,
        user=secretary,
        organization=d.branch,
        member=d.member,
        audience="organization",
        items=items("带头学习"),
        on_behalf=True,
    )
    pledge_services.pledge_submit(pledge=waiting, user=secretary)
    own = pledge_services.pledge_create(
        campaign=d.campaign,
        user=d.users["member"],
        organization=d.branch,
        member=d.own_member,
        audience="public",
        items=items("每周走访"),
    )
    own = pledge_services.pledge_submit(pledge=own, user=d.users["member"])
    pledge_services.pledge_return(pledge=own, user=secretary, reason="写明时间")
    board_pledge = published(d, d.campaign, member=d.member)
    pledge_services.comment_add(pledge=board_pledge, text="很好", author="", address="10.0.0.9")
    export = Job.objects.create(
        kind="export",
        status=Job.Status.SUCCEEDED,
        created_by=d.users["committee"],
        params={"target": "members", "format": "csv", "filters": {}},
        result={"rows": 1, "reach": reach_of(d.users["committee"])},
        finished_at=dt.datetime(2011, 3, 1, tzinfo=dt.UTC),
    )
    export.output_file.save("x.csv", ContentFile(b"a,b\n"), save=True)
    # issue 11: rectify. An overdue item on the branch (its own 待办, the committee's
    # 下级整改事项逾期), and one done on the sibling waiting to be verified above.
    from reviews import rectify

    rectify.rectification_open(
        user=d.users["committee"],
        campaign=d.campaign,
        organization=d.branch,
        description="公示栏承诺未及时更新",
        due_on=dt.date(2020, 1, 1),
        source_kind="spot_check",
    )
    done = rectify.rectification_open(
        user=d.users["committee"],
        campaign=d.campaign,
        organization=d.sibling,
        description="党员活动室制度上墙",
        due_on=dt.date(2099, 1, 1),
        source_kind="review_opinion",
    )
    done = rectify.rectification_start(item=done, user=d.users["sibling_secretary"])
    rectify.rectification_complete(item=done, user=d.users["sibling_secretary"], evidence="已上墙")
    assert admin.is_superuser
    return d


def todo_lines(client) -> list[tuple[str, str]]:
    """(text, href) of each 待办 line on the home page."""
    page = client.get(reverse("home")).content.decode()
    card = re.search(r'<section class="card todo">(.*?)</section>', page, re.S)
    if card is None:
        return []
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', card.group(1))


def test_each_role_sees_what_waits_for_it(busy_district, login):
    d = busy_district
    lines = {role: [text for _, text in todo_lines(login(d.users[role]))] for role in PERSONAS}
    # The pledge waiting for approval was entered by the secretary: it waits for
    # someone else (the campaign's separate approver), the committee and the office.
    assert lines["secretary"] == [
        "第一党支部的实施方案被退回，请修改后重新报送",
        "1 条群众留言待审核",
        "第一党支部：整改事项待落实 1 项",
        "第一党支部：整改事项已逾期 1 项",
    ]
    assert {"整改事项待核验 1 项", "下级整改事项逾期 1 项"} <= set(lines["committee"])
    assert "1 份承诺待审核" in lines["committee"] and "1 份承诺待审核" in lines["office"]
    assert lines["sibling_secretary"] == []  # its plan is filed and waits above it
    # The community (the sibling's parent) sits in the street's subtree.
    assert lines["committee"][:2] == ["1 份实施方案待备案", "第一街道党工委的实施方案尚未报送"]
    assert lines["office"][0] == "1 份实施方案待备案"
    assert lines["member"] == [f"{d.own_member.name}的承诺（向群众）被退回，请修改后重新提交"]
    assert lines["contact_leader"] == [] and lines["no_role"] == []
    assert "1 份实施方案待备案" in lines["admin"]


def test_a_todo_leads_to_exactly_what_it_counts(busy_district, login):
    d = busy_district
    client = login(d.users["committee"])
    href = dict((text, url) for url, text in todo_lines(client))["1 份实施方案待备案"]
    page = client.get(href).content.decode()
    assert "共 1 份方案" in page and d.sibling.name in page
    assert d.branch.name not in page.split("共 1 份方案", 1)[1]  # returned, not waiting
    sibling_plan = Plan.objects.get(campaign=d.campaign, organization=d.sibling)
    plans.plan_accept(plan=sibling_plan, user=d.users["committee"])
    assert "1 份实施方案待备案" not in [text for _, text in todo_lines(client)]


def test_the_menu_offers_each_role_only_what_it_has(busy_district, login):
    d = busy_district

    def menu(role):
        page = login(d.users[role]).get(reverse("home")).content.decode()
        nav = page.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
        return re.findall(r">([^<>]+)</a>", nav)

    for role in ("member", "contact_leader", "no_role"):
        assert "工作进度" not in menu(role) and "群众留言审核" not in menu(role), role
        assert "导入" not in menu(role), role
    assert "群众留言审核" in menu("secretary") and "工作进度" not in menu("secretary")
    assert "整改台账" in menu("secretary") and "整改台账" not in menu("member")
    for role in ("committee", "office", "admin"):
        assert {"工作进度", "群众留言审核", "导入"} <= set(menu(role)), role
    pledges = login(d.users["member"]).get(reverse("pledges:pledge_list")).content.decode()
    assert "批量导入党员承诺" not in pledges and "导出" not in pledges
    assert (
        "批量导入党员承诺"
        in login(d.users["secretary"]).get(reverse("pledges:pledge_list")).content.decode()
    )


@pytest.mark.parametrize("role", PERSONAS)
def test_every_link_from_the_home_page_answers(role, busy_district, login):
    """The home page's links (menu, 待办, cards) and the links on the pages they
    lead to: every one answers 200 for the role that was offered it."""
    client = login(busy_district.users[role])
    seen: dict[str, int] = {}
    failures = []
    frontier = [("/", None)]
    for depth in range(3):
        following = []
        for url, came_from in frontier:
            if url in seen:
                continue
            response = client.get(url)
            seen[url] = response.status_code
            if response.status_code != 200:
                failures.append(f"{url} → {response.status_code} (linked from {came_from})")
                continue
            if response.streaming or "text/html" not in response.get("Content-Type", ""):
                continue
            page = parse(response.content.decode())
            assert "<" not in page.title and "csrf" not in page.title.lower(), url
            if depth < 2 and not url.startswith("/admin/"):  # the admin is Django's own
                for href in page.links:
                    target = _followable(url, href)
                    if target and target not in seen:
                        following.append((target, url))
        frontier = following
    assert not failures, "\n".join(failures)
    assert {"/orgs/", "/orgs/members/", "/campaign/plans/", "/pledges/"} <= set(seen)


def _link(page: str, text: str) -> str:
    """The href of the link whose text is ``text`` (exactly one)."""
    found = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>\s*' + re.escape(text) + r"\s*<", page)
    assert len(found) == 1, (text, found)
    return found[0].replace("&amp;", "&")


def test_a_secretary_reaches_the_own_plan_from_the_plan_list_in_one_click(district, login):
    campaign = licheng_campaign(district)
    client = login(district.users["secretary"])
    page = client.get(reverse("campaign:plan_list")).content.decode()
    assert "本单位实施方案" in page
    href = _link(page, district.branch.name)
    assert href == reverse(
        "campaign:plan_detail",
        kwargs={"campaign_pk": campaign.pk, "organization_pk": district.branch.pk},
    )
    plan_page = client.get(href).content.decode()
    assert "保存" in plan_page and "实践主题" in plan_page  # the plan form, ready to fill
    # The committee user answers for the street: its own plan, not the branch's.
    committee = login(district.users["committee"]).get(reverse("campaign:plan_list"))
    assert "第一街道党工委" in committee.content.decode().split("本单位实施方案", 1)[1][:600]


def test_the_pledge_list_has_a_new_pledge_button(district, login):
    licheng_campaign(district)
    client = login(district.users["secretary"])
    page = client.get(reverse("pledges:pledge_list")).content.decode()
    chooser = client.get(_link(page, "新建承诺"))
    assert chooser.status_code == 200
    text = chooser.content.decode()
    assert district.branch.name in text and district.member.name in text
    assert district.sibling_member.name not in text  # another branch's member
    unit_form = client.get(_link(text, "本组织作出承诺"))
    assert unit_form.status_code == 200 and "新建承诺" in unit_form.content.decode()
    member_href = reverse("pledges:pledge_create") + f"?member={district.member.pk}"
    assert member_href in text
    assert "代为录入" in client.get(member_href).content.decode()
    # Who enters no pledges for others is not offered the button.
    for role in ("member", "contact_leader"):
        other = login(district.users[role]).get(reverse("pledges:pledge_list")).content.decode()
        assert "新建承诺" not in other, role


def test_a_member_without_a_pledge_is_asked_for_one(district, login):
    campaign = licheng_campaign(district)
    client = login(district.users["member"])
    [(href, text)] = todo_lines(client)
    assert text == f"您还没有作出本次活动的公开承诺（{campaign.name}）"
    assert "新建承诺" in client.get(href).content.decode()
    pledge_services.pledge_create(
        campaign=campaign,
        user=district.users["member"],
        organization=district.branch,
        member=district.own_member,
        audience="public",
        items=items("带头学习"),
    )
    assert todo_lines(client) == []
