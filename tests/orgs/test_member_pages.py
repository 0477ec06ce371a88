"""The member list pages by keyset (下一页 / 上一页 carry the member to start
from), so a page deep in the list costs what the first does."""

import re

import pytest
from django.urls import reverse

from orgs import selectors
from orgs.models import Member
from tests.factories import MemberFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _grow(district, branches=3, each=40):
    for i in range(branches):
        branch = OrganizationFactory(parent=district.community, code=f"R-S1-C1-G{i}")
        for j in range(each):
            MemberFactory(organization=branch, number=f"G{i}-{j:03d}")


def _pages(client, url):
    """Follow 下一页 from ``url``: the numbers on each page."""
    pages = []
    while url:
        page = client.get(url)
        pages.append([m.number for m in page.context["page"].rows])
        found = re.search(r'href="(\?[^"]*)">下一页', page.content.decode())
        url = reverse("orgs:member_list") + found.group(1).replace("&amp;", "&") if found else None
    return pages


def test_next_pages_walk_every_member_once_in_list_order(district, login):
    _grow(district)
    office = district.users["office"]
    client = login(office)
    pages = _pages(client, reverse("orgs:member_list"))
    walked = [n for page in pages for n in page]
    expected = list(selectors.filtered_members(office, {}).values_list("number", flat=True))
    assert walked == expected and len(walked) == Member.objects.count() == 124
    assert [len(p) for p in pages] == [50, 50, 24]
    first = client.get(reverse("orgs:member_list"))
    assert first.context["total"] == 124 and "共 124 名党员" in first.content.decode()


def test_previous_goes_back_a_page(district, login):
    _grow(district)
    client = login(district.users["office"])
    first = client.get(reverse("orgs:member_list")).context["page"]
    second = client.get(reverse("orgs:member_list"), {"after": first.after}).context["page"]
    back = client.get(reverse("orgs:member_list"), {"before": second.before}).context["page"]
    assert [m.pk for m in back.rows] == [m.pk for m in first.rows]
    assert back.before is None and back.after == first.after


def test_filters_keep_paging_and_count(district, login):
    _grow(district)
    client = login(district.users["committee"])
    url = reverse("orgs:member_list") + f"?organization={district.community.pk}&category=full"
    pages = _pages(client, url)
    assert len([n for page in pages for n in page]) == 123  # the community's, not the far one
    assert client.get(url).context["total"] == 123  # counted: a filter the tallies cannot answer
    branch = OrganizationFactory._meta.model.objects.get(code="R-S1-C1-G1")
    url = reverse("orgs:member_list") + f"?organization={branch.pk}"
    assert [n for page in _pages(client, url) for n in page] == [f"G1-{j:03d}" for j in range(40)]
    assert client.get(url).context["total"] == 40  # the branch's stored figure


def test_a_cursor_outside_the_scope_is_the_first_page(district, login):
    _grow(district)
    client = login(district.users["secretary"])
    page = client.get(reverse("orgs:member_list"), {"after": district.far_member.pk})
    assert {m.pk for m in page.context["page"].rows} == {district.member.pk, district.own_member.pk}
    assert client.get(reverse("orgs:member_list"), {"after": "x"}).status_code == 200


def test_pages_cross_from_one_tree_to_the_next_both_ways(district, login):
    """The page's start is also a (tree, lft) row bound the index seeks to: it
    must not drop the members of a second tree, or of the cursor's own unit."""
    _grow(district, branches=2, each=30)
    other = OrganizationFactory(parent=None, code="Q")
    for i in range(2):
        branch = OrganizationFactory(parent=other, code=f"Q-{i}")
        for j in range(20):
            MemberFactory(organization=branch, number=f"Q{i}-{j:03d}")
    admin = district.users["admin"]
    client = login(admin)
    pages = _pages(client, reverse("orgs:member_list"))
    walked = [n for page in pages for n in page]
    expected = list(selectors.filtered_members(admin, {}).values_list("number", flat=True))
    assert walked == expected and len(walked) == Member.objects.count() == 4 + 60 + 40
    last = client.get(reverse("orgs:member_list"), {"after": _last_cursor(client)}).context["page"]
    backwards = []
    page = last
    while page.before is not None:
        backwards.insert(0, [m.number for m in page.rows])
        page = client.get(reverse("orgs:member_list"), {"before": page.before}).context["page"]
    backwards.insert(0, [m.number for m in page.rows])
    assert [n for p in backwards for n in p] == expected


def _last_cursor(client):
    """The cursor that opens the last page (the 下一页 of the one before it)."""
    page = client.get(reverse("orgs:member_list")).context["page"]
    cursor = None
    while page.after is not None:
        cursor = page.after
        page = client.get(reverse("orgs:member_list"), {"after": cursor}).context["page"]
    return cursor
