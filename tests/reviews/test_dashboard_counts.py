"""The 工作进度 dashboard's review figures (issue 13): 整改, 等次 and 满意率 kept as
stored counts by the services that change them (a recount finds no drift), the
same numbers as the lists they link to, charts drawn from them, the export, and
queries that do not grow with the subtree."""

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orgs import tallies
from orgs.models import Member
from reviews import rectify, services, surveys
from reviews.models import Review, ReviewKind
from reviews.models_rectify import Rectification
from reviews.models_surveys import SurveyCodeBatch, SurveySubject
from reviews.sheets import Entry, grid_save
from reviews.survey_results import subtree_summary
from reviews.tallying import GRADES, RECTIFY, SATISFACTION, fold_satisfaction
from tests.factories import MemberFactory, OrganizationFactory, sector

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 3)
State = Rectification.State


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def opened(district, campaign, unit, due, by="committee"):
    return rectify.rectification_open(
        user=district.users[by],
        campaign=campaign,
        organization=unit,
        description="公示栏承诺未及时更新，限期整改",
        due_on=due,
        source_kind=Rectification.SourceKind.MANUAL,
    )


def no_drift(*names):
    assert tallies.drift(list(names)) == []


def dashboard(client, organization, campaign):
    return client.get(
        reverse("campaign:dashboard", kwargs={"pk": organization.pk}) + f"?campaign={campaign.pk}"
    )


def cell(row, key):
    return next(c for c in row.cells if c.column.key == key)


@pytest.fixture
def items(district, campaign):
    """Branch: one late 待整改, one late 整改中, one 已完成, one 已核验; sibling: one late."""
    secretary, committee = district.users["secretary"], district.users["committee"]
    late, later = TODAY - dt.timedelta(days=5), TODAY + dt.timedelta(days=30)
    a = opened(district, campaign, district.branch, late)
    b = rectify.rectification_start(
        item=opened(district, campaign, district.branch, late), user=secretary
    )
    c = rectify.rectification_start(
        item=opened(district, campaign, district.branch, later), user=secretary
    )
    c = rectify.rectification_complete(item=c, user=secretary, evidence="已更新公示栏")
    d = rectify.rectification_start(
        item=opened(district, campaign, district.branch, later), user=secretary
    )
    d = rectify.rectification_complete(item=d, user=secretary, evidence="已更新公示栏")
    rectify.rectification_verify(item=d, user=committee)
    opened(district, campaign, district.sibling, late)
    return a, b, c, d


def test_rectification_counts_follow_every_move_and_the_daily_flag(district, campaign, items):
    no_drift(RECTIFY)
    assert tallies.counted([RECTIFY])  # something is counted at all
    assert rectify.rectification_flag_overdue(TODAY) == {"flagged": 3, "cleared": 0}
    no_drift(RECTIFY)
    secretary = district.users["secretary"]
    late = Rectification.objects.get(pk=items[1].pk)
    rectify.rectification_complete(item=late, user=secretary, evidence="已整改")  # clears its flag
    no_drift(RECTIFY)
    done = Rectification.objects.get(pk=items[2].pk)
    rectify.rectification_redo(item=done, user=district.users["committee"], reason="证据不足")
    no_drift(RECTIFY)


def test_the_childs_rectification_figures_are_the_lists_counts(district, campaign, items, login):
    rectify.rectification_flag_overdue(TODAY)
    client = login(district.users["committee"])
    page = dashboard(client, district.street, campaign).context
    (community,) = page["children"]
    figures = community.counts[RECTIFY]
    assert figures == {"open": 4, "overdue": 3, "verified": 1}
    for key in ("open", "overdue", "verified"):
        listed = client.get(cell(community, key).url)
        assert listed.status_code == 200
        assert listed.context["total"] == figures[key], key
    assert page["total"].counts[RECTIFY] == figures  # the street has no item of its own
    chart = next(c for c in page["charts"] if c.key == "rectify")
    assert chart.series[1][1] == [3]  # 已逾期 by child


def survey_with_answers(district, campaign):
    survey = surveys.survey_create(
        user=district.users["office"],
        campaign=campaign,
        organization=district.street,
        title="2026年群众评议",
        opens_on=TODAY - dt.timedelta(days=3),
        closes_on=TODAY + dt.timedelta(days=10),
    )
    branch = SurveySubject.objects.get(survey=survey, organization=district.branch)
    batch = SurveyCodeBatch.objects.create(subject=branch, size=4)
    with transaction.atomic():  # as the slips job does it
        codes = surveys.issue_codes(batch)
        batch.state = SurveyCodeBatch.State.ISSUED
        batch.save()
    for code, given in zip(codes, [[0, 0, 2], [0, 1, 2], [1, 1, 0], [2, 0, 0]], strict=True):
        assert surveys.answer(typed=code, answers=given, opinion="", address="a").status == "done"
    # The web answers wait for the minutely fold, and the recount agrees meanwhile.
    no_drift(SATISFACTION)
    assert fold_satisfaction() == 4 and fold_satisfaction() == 0
    tally = surveys.tally_save(
        user=district.users["secretary"],
        subject=branch,
        attendees=7,
        forms=6,
        counts=[[4, 1, 0, 1], [3, 2, 1, 0], [3, 1, 1, 1]],  # the last is corrected below
        held_on=TODAY,
    )
    no_drift(SATISFACTION)
    surveys.tally_save(
        user=district.users["secretary"],
        subject=branch,
        attendees=7,
        forms=6,
        counts=[[4, 1, 0, 1], [3, 2, 1, 0], [4, 1, 0, 1]],
        held_on=TODAY,
        tally=tally,
    )
    return survey


def test_satisfaction_counts_are_the_survey_results_and_drawn_against_the_target(
    district, campaign, login
):
    survey = survey_with_answers(district, campaign)
    no_drift(SATISFACTION)
    summary = subtree_summary(survey, district.community)
    page = dashboard(login(district.users["committee"]), district.street, campaign).context
    (community,) = page["children"]
    assert community.counts[SATISFACTION] == {
        "satisfied": summary.satisfied,
        "valid": summary.valid,
    }
    chart = next(c for c in page["charts"] if c.key == "satisfaction")
    rate = round(100 * summary.satisfied / summary.valid, 2)
    assert chart.target == 90.0 and chart.series[0][1] == [rate] and chart.percent


def graded_round(district, campaign, capture):
    """A closed 党员民主评议 round over the community: two of the branch's members graded."""
    kind = ReviewKind.objects.get(campaign=campaign, name="党员民主评议")
    for n in range(3):
        MemberFactory(organization=district.branch, name=f"党员{n}", number=f"G00{n}")
    committee = district.users["committee"]
    round_ = services.round_create(
        user=committee,
        campaign=campaign,
        kind=kind,
        organization=district.community,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    round_ = services.round_open(round_=round_, user=committee)
    reviews = list(Review.objects.filter(round=round_, member__isnull=False).order_by("pk"))
    full = dict.fromkeys([c.code for c in kind.rubric.criteria.all()], 20)
    grid_save(
        round_=round_,
        unit=district.branch,
        user=district.users["secretary"],
        entries={reviews[0].pk: Entry(full), reviews[1].pk: Entry(full)},
        submit=True,
    )
    with capture(execute=True):
        services.round_close(round_=round_, user=committee)
    return round_


def test_grades_of_the_latest_closed_round_are_counted_and_charted(
    district, campaign, login, django_capture_on_commit_callbacks
):
    round_ = graded_round(district, campaign, django_capture_on_commit_callbacks)
    kind = round_.kind
    no_drift(GRADES)
    graded = Review.objects.filter(round=round_).exclude(grade="").count()
    assert graded == 2
    page = dashboard(login(district.users["committee"]), district.street, campaign).context
    charts = {c.key: c for c in page["charts"]}
    chart = charts[f"grades-{kind.pk}"]
    top = Review.objects.filter(round=round_).exclude(grade="").values_list("grade", flat=True)[0]
    assert dict(zip(chart.categories, chart.series[0][1], strict=True))[top] == 2
    # per child, a stacked bar of the round's grades, one series a grade in the kind's order
    per_child = charts[f"grades-{kind.pk}-children"]
    assert per_child.stacked and per_child.categories == ["第一社区党委"]
    bands = list(kind.grades.order_by("position", "pk").values_list("label", flat=True))
    assert [name for name, _data in per_child.series] == bands
    assert (
        dict(per_child.series)[top] == [2] and sum(v for _n, d in per_child.series for v in d) == 2
    )
    # over the root: one bar per street, the grades in the first street only
    root = dashboard(login(district.users["office"]), district.root, campaign).context
    per_street = next(c for c in root["charts"] if c.key == f"grades-{kind.pk}-children")
    assert per_street.categories == ["第一街道党工委", "第二街道党工委"]
    assert dict(per_street.series)[top] == [2, 0]
    # its table, and the export's columns per child
    body = dashboard(login(district.users["office"]), district.root, campaign).content.decode()
    assert f'data-chart="grades-{kind.pk}-children"' in body
    url = reverse("campaign:dashboard_export", kwargs={"pk": district.root.pk, "fmt": "csv"})
    rows = list(
        csv.reader(
            io.StringIO(login(district.users["office"]).get(url).content.decode("utf-8-sig"))
        )
    )
    column = rows[0].index(f"{per_street.title}·{top}")
    assert [row[column] for row in rows[2:4]] == ["2", "0"]
    # Recomputing the results changes no count.
    from reviews.results import round_results

    round_results(round_)
    no_drift(GRADES)


def test_satisfaction_by_quarter_counts_each_answer_in_the_quarter_it_was_given(
    district, campaign, login, monkeypatch
):
    survey = surveys.survey_create(
        user=district.users["office"],
        campaign=campaign,
        organization=district.street,
        title="2011年群众评议",
        opens_on=dt.date(2011, 3, 1),
        closes_on=dt.date(2011, 4, 30),
    )
    branch = SurveySubject.objects.get(survey=survey, organization=district.branch)
    batch = SurveyCodeBatch.objects.create(subject=branch, size=2)
    with transaction.atomic():
        codes = surveys.issue_codes(batch)
        batch.state = SurveyCodeBatch.State.ISSUED
        batch.save()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2011, 3, 20))
    for code in codes:  # three questions, all 满意 or 基本满意
        assert (
            surveys.answer(typed=code, answers=[0, 1, 0], opinion="", address="a").status == "done"
        )
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    no_drift(SATISFACTION)  # waiting for the fold, counted in their quarter meanwhile
    assert fold_satisfaction() == 2
    tally = surveys.tally_save(  # on paper in the second quarter: 6 of 9 valid satisfied
        user=district.users["secretary"],
        subject=branch,
        attendees=4,
        forms=3,
        counts=[[2, 0, 1, 0], [2, 0, 1, 0], [1, 1, 1, 0]],
        held_on=dt.date(2011, 4, 10),
    )
    no_drift(SATISFACTION)

    def by_quarter():
        page = dashboard(login(district.users["committee"]), district.street, campaign).context
        chart = next(c for c in page["charts"] if c.key == "satisfaction-trend")
        assert chart.percent and chart.target == 90.0 and chart.line
        return {q: v for q, v in zip(chart.categories, chart.series[0][1], strict=True) if v}

    assert by_quarter() == {"2011年第1季度": 100.0, "2011年第2季度": round(100 * 6 / 9, 2)}
    # the paper forms corrected and dated back into March: both quarters follow
    surveys.tally_save(
        user=district.users["secretary"],
        subject=branch,
        attendees=4,
        forms=3,
        counts=[[3, 0, 0, 0], [3, 0, 0, 0], [2, 0, 1, 0]],
        held_on=dt.date(2011, 3, 25),
        tally=tally,
    )
    no_drift(SATISFACTION)
    assert by_quarter() == {"2011年第1季度": round(100 * (6 + 8) / (6 + 9), 2)}


def test_charts_come_as_json_and_the_page_loads_the_vendored_library(
    district, campaign, items, login
):
    response = dashboard(login(district.users["committee"]), district.street, campaign)
    page = response.content.decode()
    assert '<script id="dashboard-charts" type="application/json">' in page
    assert "vendor/echarts/echarts.min.js" in page and "js/dashboard-charts.js" in page
    assert "<script>" not in page  # nothing inline: the CSP allows our files only
    block = page.split('type="application/json">', 1)[1].split("</script>", 1)[0]
    keys = [chart["key"] for chart in json.loads(block)]
    assert {"plans", "rectify"} <= set(keys)
    assert "pledges" not in keys  # no pledge yet: a chart of zeros is left out


def test_the_export_has_the_pages_figures_and_its_scope(district, campaign, items, login):
    rectify.rectification_flag_overdue(TODAY)
    client = login(district.users["committee"])
    url = reverse("campaign:dashboard_export", kwargs={"pk": district.street.pk, "fmt": "csv"})
    response = client.get(url + f"?campaign={campaign.pk}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, total, child = rows[0], rows[1], rows[2]
    assert total[:2] == ["合计", district.street.name] and child[1] == "第一社区党委"
    assert child[header.index("整改逾期")] == "3" and child[header.index("整改未核验")] == "4"
    xlsx = client.get(url.replace("csv", "xlsx") + f"?campaign={campaign.pk}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert login(district.users["secretary"]).get(url).status_code == 404
    assert client.get(url + "?campaign=999999").status_code == 404


def _grow(parent, branches, campaign, district):
    for _ in range(branches):
        branch = OrganizationFactory(parent=parent, sector=sector("农村"))
        Member.objects.bulk_create(
            [MemberFactory.build(organization=branch, number=f"D{branch.pk}-{j}") for j in range(3)]
        )
        opened(district, campaign, branch, TODAY - dt.timedelta(days=1), by="office")


def test_queries_do_not_grow_with_the_subtree_with_every_chart(
    district, campaign, items, login, monkeypatch, django_capture_on_commit_callbacks
):
    survey_with_answers(district, campaign)
    round_ = graded_round(district, campaign, django_capture_on_commit_callbacks)
    # the rectifications _grow opens fall in a quarter of the campaign: the trend has them
    moment = dt.datetime(2011, 5, 10, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    client = login(district.users["office"])
    _grow(district.community, 3, campaign, district)
    dashboard(client, district.root, campaign)
    with CaptureQueriesContext(connection) as small:
        response = dashboard(client, district.root, campaign)
    assert response.status_code == 200
    drawn = {chart.key for chart in response.context["charts"]}
    sections = {"trend", f"grades-{round_.kind_id}", f"grades-{round_.kind_id}-children"}
    assert sections <= drawn
    _grow(district.community, 30, campaign, district)
    _grow(district.street2, 30, campaign, district)
    with CaptureQueriesContext(connection) as big:
        response = dashboard(client, district.root, campaign)
    assert response.context["total"].counts[RECTIFY]["open"] > 60
    trend = next(c for c in response.context["charts"] if c.key == "trend")
    assert dict(trend.series)["整改交办"][trend.categories.index("2011年第2季度")] == 63
    assert sections <= {chart.key for chart in response.context["charts"]}
    assert len(small) == len(big)
