"""The review pages: a branch's grid (typed values kept on a refusal), the home
page's 待办, the results within the publication scope, a member's own result."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Review, ReviewKind, ReviewRound, ScoreSheet
from reviews.sheets import Entry, grid_save

pytestmark = pytest.mark.django_db
CODES = ["1", "2", "3", "4", "5"]


@pytest.fixture
def round_(district, campaign):
    kind = ReviewKind.objects.get(campaign=campaign, name="党员民主评议")
    made = services.round_create(
        user=district.users["committee"],
        campaign=campaign,
        kind=kind,
        organization=district.community,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    return services.round_open(round_=made, user=district.users["committee"])


def grid_url(round_, unit):
    return reverse("reviews:grid", kwargs={"pk": round_.pk, "organization_pk": unit.pk})


def test_the_secretary_finds_the_grid_on_the_home_page_and_submits_it(district, round_, login):
    client = login(district.users["secretary"])
    home = client.get(reverse("home")).content.decode()
    assert "第一党支部：2010年第四季度党员民主评议待评分（已提交 0/2）" in home
    assert grid_url(round_, district.branch) in home
    page = client.get(grid_url(round_, district.branch)).content.decode()
    reviews = list(Review.objects.filter(round=round_, organization=district.branch))
    for review in reviews:
        assert review.member.name in page
    data = {"submit": "1"}
    for review in reviews:
        data |= {f"s-{review.pk}-{c}": "18" for c in CODES}
    response = client.post(grid_url(round_, district.branch), data)
    assert response.status_code == 302
    assert ScoreSheet.objects.filter(state="submitted").count() == 2
    assert "待评分" not in client.get(reverse("home")).content.decode()


def test_a_refused_grid_comes_back_with_what_was_typed(district, round_, login):
    client = login(district.users["secretary"])
    review = Review.objects.filter(round=round_, organization=district.branch).first()
    data = {f"s-{review.pk}-1": "25", f"s-{review.pk}-2": "17.5", f"o-{review.pk}": "要多走访"}
    response = client.post(grid_url(round_, district.branch), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "“带头学习提高”：25 分超出范围（0 至 20 分）" in page
    assert 'value="25"' in page and 'value="17.5"' in page and "要多走访" in page
    assert not ScoreSheet.objects.exists()


def test_results_are_for_the_office_at_close_and_within_the_scope_once_published(
    district, round_, login, django_capture_on_commit_callbacks
):
    reviews = list(Review.objects.filter(round=round_, organization=district.branch))
    grid_save(
        round_=round_,
        unit=district.branch,
        user=district.users["secretary"],
        entries={r.pk: Entry(dict.fromkeys(CODES, 18)) for r in reviews},
        submit=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.round_close(round_=round_, user=district.users["committee"])
    url = reverse("reviews:results", kwargs={"pk": round_.pk})
    committee = login(district.users["committee"]).get(url).content.decode()
    assert "90.00" in committee and "优秀" in committee
    secretary = login(district.users["secretary"]).get(url).content.decode()
    assert "评议结果尚未公布" in secretary
    services.round_publish(round_=round_, user=district.users["committee"])
    # 党员民主评议 publishes to 本单位: the branch reads its own members' results,
    # the sibling branch reads none of them.
    secretary = login(district.users["secretary"]).get(url).content.decode()
    assert reviews[0].member.name in secretary and "90.00" in secretary
    sibling = login(district.users["sibling_secretary"]).get(url).content.decode()
    assert reviews[0].member.name not in sibling


def test_a_member_sees_their_own_result_once_published(district, round_, login):
    own = Review.objects.get(round=round_, member=district.own_member)
    Review.objects.filter(pk=own.pk).update(
        composite=Decimal("88.50"), grade="合格", rank_in_parent=2
    )
    client = login(district.users["member"])
    page = client.get(reverse("reviews:round_list")).content.decode()
    assert "我的评议结果" not in page  # not published yet
    ReviewRound.objects.filter(pk=round_.pk).update(state="published")
    page = client.get(reverse("reviews:round_list")).content.decode()
    assert "我的评议结果" in page and "88.50" in page and "合格" in page
    assert district.member.name not in page  # a co-member's result is not theirs


def test_the_grid_round_trips_through_a_spreadsheet(district, round_, login):
    import io

    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(district.users["secretary"])
    url = reverse(
        "reviews:grid_file", kwargs={"pk": round_.pk, "organization_pk": district.branch.pk}
    )
    response = client.get(url)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "党员编号",
        "姓名",
        "1、带头学习提高",
        "2、带头争创佳绩",
        "3、带头服务群众",
        "4、带头遵纪守法",
        "5、带头弘扬正气",
        "意见建议",
    ]
    assert {r[0] for r in rows[1:]} == {district.member.number, district.own_member.number}
    for r in range(2, len(rows) + 1):
        for c in range(3, 8):
            sheet.cell(row=r, column=c, value=17)
    sheet.cell(row=2, column=8, value="多走访群众")
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        url,
        {"file": SimpleUploadedFile("评分表.xlsx", buffer.getvalue()), "submit": "1"},
        follow=True,
    )
    assert "已从表格提交 2 人的评分" in response.content.decode()
    assert ScoreSheet.objects.filter(state="submitted").count() == 2
    assert ScoreSheet.objects.filter(opinion="多走访群众").count() == 1

    # An unknown member number, a bad score, an unknown column: named, nothing written.
    sheet.cell(row=3, column=1, value="NOBODY")
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        url, {"file": SimpleUploadedFile("评分表.xlsx", buffer.getvalue())}, follow=True
    )
    assert "第 3 行：党员编号“NOBODY”不是“第一党支部”本次评议的对象" in response.content.decode()
    sheet.cell(row=3, column=1, value=rows[2][0])
    sheet.cell(row=3, column=4, value=25)
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        url, {"file": SimpleUploadedFile("评分表.xlsx", buffer.getvalue())}, follow=True
    )
    assert (
        f"第 3 行（{rows[2][1]}）“带头争创佳绩”：25 分超出范围（0 至 20 分）"
        in response.content.decode()
    )
    sheet.cell(row=1, column=9, value="备注")
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        url, {"file": SimpleUploadedFile("评分表.xlsx", buffer.getvalue())}, follow=True
    )
    assert "第 1 行第 I 列：不认识的列“备注”" in response.content.decode()
    # Still the first upload's two sheets, as submitted then.
    assert ScoreSheet.objects.count() == 2
    assert {tuple(sorted(s.scores.values())) for s in ScoreSheet.objects.all()} == {("17",) * 5}


def test_the_district_results_page_reads_its_order_from_the_index(postgres_only, district, round_):
    """On PostgreSQL the page query is served by review_rank (no sort of the round)."""
    from django.db import connection

    from reviews.selectors import results_filtered

    query = results_filtered(Review.objects.filter(round=round_), round_, {})[:50]
    with connection.cursor() as cursor:
        # A test round is tiny: make the planner show whether the index can give
        # the order (with sorting priced out, a plan that still sorts cannot).
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using review_rank" in plan and "Sort" not in plan


def test_lower_units_review_the_one_above_anonymously(district, login):
    from campaign.seeds import seed_data
    from campaign.services import campaign_load
    from tests.factories import sector

    for guidance in seed_data("fengnian")["sector_guidance"]:
        sector(guidance["sector"])
    campaign = campaign_load(root=district.root, data=seed_data("fengnian")).campaign
    kind = ReviewKind.objects.get(campaign=campaign, name="集中评议（党组织）")
    round_ = services.round_open(
        round_=services.round_create(
            user=district.users["committee"],
            campaign=campaign,
            kind=kind,
            organization=district.street,
            period="2010年下半年",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        ),
        user=district.users["committee"],
    )
    url = reverse("reviews:upward", kwargs={"pk": round_.pk, "organization_pk": district.branch.pk})
    client = login(district.users["secretary"])
    home = client.get(reverse("home")).content.decode()
    assert "第一党支部待评议上级党组织" in home and url in home
    page = client.get(url).content.decode()
    assert district.community.name in page and "下级评上级不记名" in page
    codes = [c.code for c in kind.rubric.criteria.all()]
    review = Review.objects.get(round=round_, organization=district.community)
    data = {f"s-{review.pk}-{c}": "16" for c in codes} | {"submit": "1"}
    assert client.post(url, data).status_code == 302
    sheet = ScoreSheet.objects.get(evaluator="upward")
    assert (sheet.review_id, sheet.evaluator_key, sheet.state) == (
        review.pk,
        f"o{district.branch.pk}",
        "submitted",
    )
    response = client.post(url, data)
    assert response.status_code == 400
    assert "您已提交过对“第一社区党委”的下级评上级，不能再次提交" in response.content.decode()
    assert "待评议上级党组织" not in client.get(reverse("home")).content.decode()
    # The far branch's secretary has no unit below the community: nothing to reach.
    far = reverse(
        "reviews:upward", kwargs={"pk": round_.pk, "organization_pk": district.far_branch.pk}
    )
    assert login(district.users["sibling_secretary"]).get(far).status_code == 404
    assert ScoreSheet.objects.count() == 1


def test_a_contact_point_leader_comments_on_their_units_from_the_home_page(
    district, campaign, login
):
    from campaign.models import ContactPoint
    from reviews.results import round_results

    leader = district.users["contact_leader"]
    ContactPoint.objects.create(campaign=campaign, leader=leader, organization=district.community)
    ContactPoint.objects.create(campaign=campaign, leader=leader, organization=district.branch)
    kind = ReviewKind.objects.get(campaign=campaign, name="党（工）委季度点评")
    round_ = services.round_open(
        round_=services.round_create(
            user=district.users["committee"],
            campaign=campaign,
            kind=kind,
            organization=district.street,
            period="2010年第三季度",
            opens_on=dt.date(2010, 9, 1),
            closes_on=dt.date(2010, 9, 30),
        ),
        user=district.users["committee"],
    )
    client = login(leader)
    url = reverse("reviews:comment", kwargs={"pk": round_.pk})
    home = client.get(reverse("home")).content.decode()
    assert "2010年第三季度党（工）委季度点评：联系点还有 2 个单位待点评" in home and url in home
    page = client.get(url).content.decode()
    assert "第一党支部" in page and district.community.name in page
    assert district.sibling.name not in page  # not one of the leader's contact points
    reviews = {
        r.organization_id: r for r in Review.objects.filter(round=round_, member__isnull=True)
    }
    community, branch = reviews[district.community.pk], reviews[district.branch.pk]
    # A grade that is not the kind's is refused with the row, nothing written.
    response = client.post(
        url, {f"g-{community.pk}": "优秀", f"g-{branch.pk}": "好", "submit": "1"}
    )
    assert response.status_code == 400
    assert "没有等次“优秀”；可选：好、较好、一般、差" in response.content.decode()
    assert not ScoreSheet.objects.exists()
    # A row for a unit outside the leader's points is not read.
    other = reviews[district.sibling.pk]
    response = client.post(
        url,
        {
            f"g-{community.pk}": "较好",
            f"o-{community.pk}": "要加强党员教育",
            f"g-{branch.pk}": "好",
            f"g-{other.pk}": "差",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    sheets = ScoreSheet.objects.filter(evaluator="leader", state="submitted")
    assert {(s.review_id, s.grade, s.evaluator_key) for s in sheets} == {
        (community.pk, "较好", f"u{leader.pk}"),
        (branch.pk, "好", f"u{leader.pk}"),
    }
    assert "待点评" not in client.get(reverse("home")).content.decode()
    services.round_close(round_=round_, user=district.users["committee"])
    round_results(round_)
    community.refresh_from_db()
    assert (community.composite, community.grade) == (Decimal("85.00"), "较好")
