"""English: what Python says (services, rules, importers, the workflow) is translated,
and dates follow the page's language."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from core.imports import RowError
from core.tabular import TableError, read_table
from orgs.rules import member_problems
from pledges import services
from pledges.rules import item_problems
from reviews import services as review_services
from reviews.models import ReviewKind
from tests.factories import filed_plan, items, licheng_campaign, published

pytestmark = pytest.mark.django_db


def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_refusals_from_the_services_and_the_workflow_are_in_english(district, campaign):
    secretary = district.users["secretary"]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        member=district.member,
        audience="public",
        items=items("带头学习"),
    )
    with translation.override("en"):
        with pytest.raises(services.PledgeError) as draft:
            services.pledge_approve(pledge=pledge, user=district.users["committee"])
        assert str(draft.value) == "The pledge is “Draft”: you cannot approve it now"
        pledge = services.pledge_submit(pledge=pledge, user=secretary)
        with pytest.raises(services.PledgeError) as alone:
            services.pledge_approve(pledge=pledge, user=secretary)
        assert str(alone.value) == (
            "Only the member's Party branch may approve this pledge, "
            "and not the person who entered it (secretary)"
        )
        with pytest.raises(services.PledgeError, match="Please give a reason to return"):
            services.pledge_return(pledge=pledge, user=district.users["committee"], reason="")


def test_rules_and_importer_messages_are_in_english_with_english_dates(district, campaign):
    late = items("带头学习", due=dt.date(2030, 1, 1))
    with translation.override("en"):
        (problem,) = item_problems(campaign, "member", late)
        assert problem == (
            "Item 1: Due date 01/01/2030 is outside the campaign (05/01/2010 to 11/07/2012)"
        )
        (member,) = member_problems(
            birth_date=dt.date(2000, 1, 1), joined_on=dt.date(2010, 1, 1), mobile=""
        )
        assert member == ("joined_on", "Younger than 18 on joining the Party")
        assert str(RowError(12, "上级组织代码", "X", "reason")) == (
            "Line 12 “上级组织代码” (value: X): reason"
        )
        with pytest.raises(TableError, match="The file has a header row but no data rows"):
            read_table("党员编号\n".encode(), "m.csv")
    # Chinese stays as it was: numeric dates in messages, 第 N 行.
    (problem,) = item_problems(campaign, "member", late)
    assert "完成时限 2030-01-01 不在活动期间（2010-05-01 至 2012-11-07）" in problem
    assert (
        str(RowError(12, "上级组织代码", "X", "原因")) == "第 12 行「上级组织代码」（值：X）：原因"
    )


def test_pages_write_dates_in_the_readers_language(district, campaign, client, login, settings):
    pledge = published(district, campaign, member=district.member)
    client = login(district.users["secretary"])
    url = reverse("pledges:pledge_detail", args=[pledge.pk])
    chinese = client.get(url).content.decode()
    assert "2011年6月30日" in chinese and "向群众承诺" in chinese
    english = _english(client, settings).get(url).content.decode()
    assert "June 30, 2011" in english and "2011年" not in english
    # The audience reads in English order, not "To the public Pledge".
    assert "Pledge to the public" in english and "To the public Pledge" not in english
    board = _english(client, settings).get(reverse("board", args=[district.branch.code]))
    assert "2011年" not in board.content.decode()


def test_the_change_record_reads_in_english_too(district, login, settings):
    campaign = licheng_campaign(district)
    filed_plan(campaign, district.branch, district.users["secretary"])
    client = _english(login(district.users["secretary"]), settings)
    page = client.get(reverse("orgs:organization_detail", args=[district.branch.pk]))
    history = page.content.decode().split('id="history"', 1)[1]
    assert "<strong>Submit</strong>" in history and "年" not in history.split("</section>")[0]


def test_the_campaign_page_and_a_review_round_read_in_english(district, campaign, login, settings):
    kind = ReviewKind.objects.get(campaign=campaign, name="党员民主评议")
    office = district.users["office"]
    made = review_services.round_create(
        user=office,
        campaign=campaign,
        kind=kind,
        organization=district.community,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    round_ = review_services.round_open(round_=made, user=office)
    client = _english(login(office), settings)
    page = client.get(reverse("campaign:campaign_detail", args=[campaign.pk])).content.decode()
    assert "Open review rounds at the milestones (review schedule)" in page
    assert "评议安排" not in page
    page = client.get(reverse("reviews:round_detail", args=[round_.pk])).content.decode()
    for english in ("Review scope", "Scoring method", "Evaluator", "Results visible to"):
        assert english in page
    assert "Branch review" in page and "Close the round" in page
    for chinese in ("评议范围", "评议方式", "评议主体", "结果公布范围", "支部评议", "结束评议"):
        assert chinese not in page
    with translation.override("en"), pytest.raises(review_services.ReviewError) as twice:
        review_services.round_open(round_=round_, user=office)
    assert str(twice.value) == "The review round is “Running”: you cannot open it now"
