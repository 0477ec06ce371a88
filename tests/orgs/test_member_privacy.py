"""A 党员 login reads their own record, their own pledges and what is public;
a member's mobile and birth date are for the roles that keep the roll."""

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from campaign.selectors import plans_for
from orgs import selectors
from pledges.selectors import pledges_for
from tests.factories import filed_plan, published

pytestmark = pytest.mark.django_db


def birth(member) -> str:
    return date_format(member.birth_date, "Y年n月j日")


def test_a_member_reads_only_their_own_record(district, login):
    client = login(district.users["member"])
    page = client.get(reverse("orgs:member_list")).content.decode()
    assert district.own_member.number in page
    assert district.member.number not in page
    assert list(selectors.members_for(district.users["member"])) == [district.own_member]
    assert client.get(reverse("orgs:member_detail", args=[district.member.pk])).status_code == 404
    # The count beside the list is the rows the member reaches, not the branch's figure.
    assert selectors.filtered_member_count(district.users["member"], {}) == 1
    assert selectors.filtered_member_count(district.users["secretary"], {}) == 2


def test_a_member_sees_their_own_mobile_and_birth_date(district, login):
    client = login(district.users["member"])
    page = client.get(reverse("orgs:member_detail", args=[district.own_member.pk])).content
    assert district.own_member.mobile in page.decode()
    assert birth(district.own_member) in page.decode()


@pytest.mark.parametrize(("role", "shown"), [("contact_leader", False), ("secretary", True)])
def test_personal_data_is_for_the_roles_that_keep_the_roll(district, login, role, shown):
    page = login(district.users[role]).get(reverse("orgs:member_detail", args=[district.member.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert (district.member.mobile in text) is shown
    assert (birth(district.member) in text) is shown


def test_a_member_reads_no_plan_and_only_their_own_pledges(district, campaign):
    filed_plan(campaign, district.branch, district.users["secretary"])
    co_member = published(district, campaign, member=district.member)
    own = published(district, campaign, member=district.own_member)
    user = district.users["member"]
    assert not plans_for(user).exists()
    assert list(pledges_for(user)) == [own]
    # The branch's readers above still see both, and the plan.
    leader = district.users["contact_leader"]
    assert set(pledges_for(leader)) == {co_member, own}
    assert plans_for(leader).count() == 1
