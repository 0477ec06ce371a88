"""The dashboard's trends by quarter (campaign.trends): each event counted in the
quarter it happened, kept by the writes that keep the current figures (a
recount finds no drift), read for the subtree from the organisation's own
stored rows, charted with its table, and exported."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign import dashboard, plans, trends
from orgs import tallies
from pledges import services as pledge_services
from reviews import rectify
from reviews.models_rectify import Rectification
from tests.factories import filed_plan, published

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def at(monkeypatch):
    """Move the clock: every stamp and ``auto_now_add`` after it reads this moment."""

    def move(*args: int) -> dt.datetime:
        moment = dt.datetime(*args, tzinfo=SHANGHAI)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return move


def trend(organization, campaign) -> dict[str, dict[str, int]]:
    """The trend chart as {series: {quarter label: n}}, zeros left out."""
    found = dashboard.progress(organization, campaign)
    drawn = [c for c in dashboard.charts(found, campaign, organization) if c.key == "trend"]
    figures = {
        name: {q: n for q, n in zip(chart.categories, data, strict=True) if n}
        for chart in drawn
        for name, data in chart.series
    }
    return {name: by_quarter for name, by_quarter in figures.items() if by_quarter}


def test_quarters_run_from_the_campaigns_start_to_its_end_or_today(campaign):
    assert (campaign.start_date, campaign.end_date) == (dt.date(2010, 5, 1), dt.date(2012, 11, 7))
    codes = trends.quarters(campaign, today=dt.date(2026, 1, 1))
    assert codes[0] == "2010q2" and codes[-1] == "2012q4" and len(codes) == 11
    assert trends.quarters(campaign, today=dt.date(2011, 2, 1))[-1] == "2011q1"
    assert trends.quarters(campaign, today=dt.date(2001, 1, 1)) == ["2010q2"]
    assert trends.quarter_label("2011q3") == "2011年第3季度"
    # a moment counts in the quarter of its local (Asia/Shanghai) day
    late = dt.datetime(2011, 6, 30, 17, 0, tzinfo=dt.UTC)  # 1 July 01:00 in Shanghai
    assert trends.quarter(late) == "2011q3"


def test_plans_and_pledges_count_in_the_quarter_they_were_accepted_published_honoured(
    district, campaign, at
):
    at(2010, 9, 20, 10)
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    plans.plan_accept(plan=plan, user=district.users["committee"])
    at(2011, 1, 5, 10)
    filed_plan(campaign, district.sibling, district.users["sibling_secretary"])  # not accepted
    pledge = published(district, campaign, member=district.member)
    at(2011, 7, 1, 9)
    phase = campaign.phases.order_by("start_date").first()
    pledge_services.pledge_outcome_set(
        pledge=pledge, user=district.users["secretary"], outcome="honoured", comment="", phase=phase
    )
    assert tallies.drift() == []
    figures = trend(district.root, campaign)
    assert figures["方案备案"] == {"2010年第3季度": 1}
    assert figures["承诺公示"] == {"2011年第1季度": 1}
    assert figures["承诺兑现"] == {"2011年第3季度": 1}
    # the same figures over any subtree holding them, none over one without
    assert trend(district.community, campaign)["方案备案"] == {"2010年第3季度": 1}
    assert trend(district.street2, campaign) == {}  # nothing there: a chart of zeros is left out


def test_a_rectifications_quarters_follow_its_moves(district, campaign, at):
    secretary, committee = district.users["secretary"], district.users["committee"]
    at(2011, 3, 10, 9)
    item = rectify.rectification_open(
        user=committee,
        campaign=campaign,
        organization=district.branch,
        description="公示栏承诺未及时更新，限期整改",
        due_on=dt.date(2011, 5, 1),
        source_kind=Rectification.SourceKind.MANUAL,
    )
    item = rectify.rectification_start(item=item, user=secretary)
    item = rectify.rectification_complete(item=item, user=secretary, evidence="已更新公示栏")
    at(2011, 4, 2, 9)
    item = rectify.rectification_verify(item=item, user=committee)
    assert tallies.drift() == []
    assert trend(district.street, campaign) == {
        "整改交办": {"2011年第1季度": 1},
        "整改核验": {"2011年第2季度": 1},
    }
    at(2011, 8, 2, 9)
    again = rectify.rectification_open(
        user=committee,
        campaign=campaign,
        organization=district.sibling,
        description="台账不全",
        due_on=dt.date(2011, 9, 1),
        source_kind=Rectification.SourceKind.MANUAL,
    )
    again = rectify.rectification_start(item=again, user=district.users["sibling_secretary"])
    again = rectify.rectification_complete(
        item=again, user=district.users["sibling_secretary"], evidence="已补齐"
    )
    rectify.rectification_redo(item=again, user=committee, reason="证据不足")  # not verified
    assert tallies.drift() == []
    assert trend(district.street, campaign) == {
        "整改交办": {"2011年第1季度": 1, "2011年第3季度": 1},
        "整改核验": {"2011年第2季度": 1},
    }


def test_the_trend_is_one_query_of_the_organisations_own_rows(
    district, campaign, at, django_assert_num_queries
):
    at(2010, 9, 20, 10)
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    plans.plan_accept(plan=plan, user=district.users["committee"])
    with django_assert_num_queries(1):
        codes, (accepted,) = trends.read(
            campaign, district.root, [trends.Series(plans.TALLY, plans.ACCEPTED_IN, "")]
        )
    assert accepted[codes.index("2010q3")] == 1 and sum(accepted) == 1


def test_the_page_shows_the_trend_with_its_table_and_the_export_has_it(
    district, campaign, at, login
):
    at(2010, 9, 20, 10)
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    plans.plan_accept(plan=plan, user=district.users["committee"])
    client = login(district.users["committee"])
    page = client.get(
        reverse("campaign:dashboard", kwargs={"pk": district.street.pk})
        + f"?campaign={campaign.pk}"
    )
    body = page.content.decode()
    assert "各季度进展（当季新增）" in body and 'data-chart="trend"' in body
    table = body.split('data-chart="trend"', 1)[1].split("</table>", 1)[0]
    assert "<td>2010年第3季度</td>" in table and "方案备案" in table
    url = reverse("campaign:dashboard_export", kwargs={"pk": district.street.pk, "fmt": "csv"})
    rows = list(
        csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig")))  # newest campaign
    )
    start = rows.index(next(r for r in rows if r and r[0] == "各季度进展（当季新增）"))
    header = rows[start]
    assert header[1:4] == ["方案备案", "承诺公示", "承诺兑现"]
    quarter = next(r for r in rows[start:] if r[0] == "2010年第3季度")
    assert quarter[header.index("方案备案")] == "1"
