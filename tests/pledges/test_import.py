"""A branch secretary imports members' pledges (公开承诺) from a spreadsheet."""

import datetime as dt
import io

import pytest
from django.db import connection
from openpyxl import Workbook

from campaign.models import Criterion, Rubric
from core.models import AuditEntry
from core.tabular import Table, read_table
from orgs.models import Member
from pledges.importer import import_pledges
from pledges.models import Pledge, PledgeItem, PledgeRevision
from pledges.services import (
    ItemInput,
    PledgeError,
    pledge_approve,
    pledge_create,
    pledge_publish,
    pledge_return,
    pledge_submit,
)
from tests.factories import CampaignFactory, MemberFactory, UserFactory

D = dt.date
HEADERS = ["党员编号", "承诺对象", "承诺事项", "完成时限", "检验方式", "对应标准"]


@pytest.fixture
def small_campaign(district):
    """Three criteria in each rubric, with codes the rows below cite."""
    small_campaign = CampaignFactory(organization=district.root, name="创先争优活动")
    members = Rubric.objects.create(campaign=small_campaign, name="五带头", subject="member")
    units = Rubric.objects.create(campaign=small_campaign, name="五个好", subject="organization")
    for i, title in enumerate(["带头学习提高", "带头争创佳绩", "带头服务群众"], start=1):
        Criterion.objects.create(rubric=members, code=str(i), title=title, weight=20, max_score=20)
        Criterion.objects.create(
            rubric=units, code=f"U{i}", title=f"好{i}", weight=20, max_score=20
        )
    return small_campaign


@pytest.fixture
def people(district):
    """Two members of the branch without a login (the district's member has none either)."""
    return {
        "zhang": MemberFactory(organization=district.branch, number="B1001", name="张三"),
        "li": MemberFactory(organization=district.branch, number="B1002", name="李四"),
    }


def run(table, district, small_campaign, *, user=None, organization=None, dry_run=False, **kw):
    return import_pledges(
        table,
        user=user or district.users["secretary"],
        campaign=small_campaign,
        organization=organization or district.branch,
        dry_run=dry_run,
        **kw,
    )


def rows_file():
    return Table(
        HEADERS,
        [
            ["B1001", "向群众", "每月走访困难群众一次", "2011-06-30", "群众评议", "3"],
            ["B1001", "", "办好一件实事", "2011-12-31", "支部检查", ""],
            ["B1002", "向党组织", "按时参加组织生活", "2011年7月1日", "支部考勤", "带头学习提高"],
        ],
    )


def items_of(pledge, number=None):
    revision = PledgeRevision.objects.get(pledge=pledge, number=number or pledge.revision)
    return [
        (i.content, i.due_date, i.verification, i.criterion.code if i.criterion else None)
        for i in revision.items.order_by("position")
    ]


def error_cells(report):
    return [(e.row, e.column) for e in report.errors]


def publish(pledge, user, approver):
    """Submitted by ``user``, approved by another (the campaign asks for a separate approver)."""
    pledge = pledge_submit(pledge=pledge, user=user)
    pledge = pledge_approve(pledge=pledge, user=approver)
    return pledge_publish(pledge=pledge, user=user)


def existing_pledge(district, small_campaign, member, items):
    return pledge_create(
        campaign=small_campaign,
        user=district.users["secretary"],
        organization=district.branch,
        audience=Pledge.Audience.PUBLIC,
        member=member,
        items=[ItemInput(c, d, v) for c, d, v in items],
        on_behalf=True,
    )


def test_secretary_imports_pledges_for_members_without_login(district, small_campaign, people):
    report = run(rows_file(), district, small_campaign)

    assert report.ok, report.errors
    assert (report.kind, report.total, report.created, report.updated, report.unchanged) == (
        "pledges",
        3,
        2,
        0,
        0,
    )
    zhang = Pledge.objects.get(member=people["zhang"])
    assert zhang.audience == Pledge.Audience.PUBLIC
    assert zhang.state == Pledge.State.DRAFT
    assert zhang.on_behalf is True
    assert zhang.organization == district.branch
    assert zhang.created_by == district.users["secretary"]
    li = Pledge.objects.get(member=people["li"])
    assert li.audience == Pledge.Audience.ORGANIZATION
    # The criterion is the member rubric's, found by its code or its title.
    assert items_of(li) == [("按时参加组织生活", D(2011, 7, 1), "支部考勤", "1")]
    assert report.preview == [
        {"row": 2, "action": "新增", "key": "B1001", "name": "张三·向群众"},
        {"row": 4, "action": "新增", "key": "B1002", "name": "李四·向党组织"},
    ]
    assert report.as_dict()["error_count"] == 0


def test_rows_for_one_member_and_audience_make_one_pledge_in_file_order(
    district, small_campaign, people
):
    report = run(rows_file(), district, small_campaign)

    assert report.ok
    zhang = Pledge.objects.get(member=people["zhang"])
    assert items_of(zhang) == [
        ("每月走访困难群众一次", D(2011, 6, 30), "群众评议", "3"),
        ("办好一件实事", D(2011, 12, 31), "支部检查", None),
    ]
    assert list(
        PledgeItem.objects.filter(revision__pledge=zhang).order_by("position").values_list("key")
    ) == [(1,), (2,)]


def test_reimporting_the_same_file_changes_nothing(district, small_campaign, people):
    assert run(rows_file(), district, small_campaign).ok
    items = set(PledgeItem.objects.values_list("pk", flat=True))
    audit_count = AuditEntry.objects.count()

    report = run(rows_file(), district, small_campaign)

    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert {p["action"] for p in report.preview} == {"无变化"}
    assert set(PledgeItem.objects.values_list("pk", flat=True)) == items
    assert PledgeRevision.objects.count() == 2
    assert AuditEntry.objects.count() == audit_count


@pytest.mark.parametrize(
    "row, column, reason",
    [
        (["B1001", "向群众", "走访", "2011-02-30", "评议", ""], "完成时限", "日期不存在"),
        (["B1001", "向群众", "走访", "明年", "评议", ""], "完成时限", "日期格式应为 YYYY-MM-DD"),
        (["B1001", "向群众", "  ", "2011-06-30", "评议", ""], "承诺事项", "不能为空"),
        (["B1001", "向群众", "走访", "2011-06-30", "", ""], "检验方式", "请填写检验方式"),
        (["B1001", "向群众", "走访", "", "评议", ""], "完成时限", "请填写完成时限"),
        (["B1001", "向群众", "走" * 501, "2011-06-30", "评议", ""], "承诺事项", "不能超过 500 字"),
        (["B1001", "向群众", "走访", "2011-06-30", "评" * 201, ""], "检验方式", "不能超过 200 字"),
        (["B1001", "向群众", "走访", "2013-01-01", "评议", ""], "完成时限", "不在活动期间"),
        (["B1001", "向群众", "走访", "2010-04-30", "评议", ""], "完成时限", "不在活动期间"),
        (
            ["B1001", "向上级党组织", "走访", "2011-06-30", "评议", ""],
            "承诺对象",
            "党员的承诺对象只能是向党组织或向群众",
        ),
        (["B1001", "向群众", "走访", "2011-06-30", "评议", "9"], "对应标准", "党员评价标准"),
        # An organisation rubric's criterion is not a member's.
        (["B1001", "向群众", "走访", "2011-06-30", "评议", "U1"], "对应标准", "党员评价标准"),
        (["X9999", "向群众", "走访", "2011-06-30", "评议", ""], "党员编号", "不存在或不在本组织"),
        (["", "向群众", "走访", "2011-06-30", "评议", ""], "党员编号", "不能为空"),
    ],
    ids=[
        "nonexistent-date",
        "unreadable-date",
        "blank-content",
        "blank-verification",
        "blank-due-date",
        "content-too-long",
        "verification-too-long",
        "due-after-campaign",
        "due-before-campaign",
        "audience-for-organisations-only",
        "unknown-criterion",
        "organisation-criterion",
        "unknown-member",
        "blank-member-number",
    ],
)
def test_a_bad_row_is_reported_by_line_and_column_and_nothing_is_written(
    district, small_campaign, people, row, column, reason
):
    good = ["B1002", "向群众", "参加志愿服务", "2011-06-30", "服务记录", ""]

    report = run(Table(HEADERS, [good, row]), district, small_campaign)

    assert not report.ok
    assert error_cells(report) == [(3, column)]
    assert reason in report.errors[0].reason
    assert Pledge.objects.count() == 0


def test_every_bad_row_is_reported_at_once(district, small_campaign, people):
    table = Table(
        HEADERS,
        [
            ["B1001", "向群众", "", "2011-02-30", "评议", ""],
            ["B1002", "向群众", "走访", "2011-06-30", "评议", ""],
            ["B1002", "向群众", "走访", "2020-01-01", "", ""],
        ],
    )

    report = run(table, district, small_campaign)

    assert error_cells(report) == [
        (2, "承诺事项"),
        (2, "完成时限"),
        (4, "完成时限"),
        (4, "检验方式"),
    ]
    assert "第 2 行「完成时限」（值：2011-02-30）：日期不存在" in [str(e) for e in report.errors]
    assert Pledge.objects.count() == 0


def test_a_member_of_a_sibling_branch_is_reported_as_unknown(district, small_campaign, people):
    table = Table(
        HEADERS,
        [
            ["B1001", "向群众", "走访", "2011-06-30", "评议", ""],
            [district.sibling_member.number, "向群众", "走访", "2011-06-30", "评议", ""],
        ],
    )

    report = run(table, district, small_campaign)

    assert error_cells(report) == [(3, "党员编号")]
    assert report.errors[0].reason == "党员编号不存在或不在本组织"
    assert Pledge.objects.count() == 0


def test_members_outside_the_importers_scope_are_reported_as_unknown(district, small_campaign):
    """The sibling's secretary cannot reach the branch's member even by naming the branch."""
    table = Table(HEADERS, [[district.member.number, "", "走访", "2011-06-30", "评议", ""]])

    report = run(table, district, small_campaign, user=district.users["sibling_secretary"])

    assert error_cells(report) == [(2, "党员编号")]
    assert report.errors[0].reason == "党员编号不存在或不在本组织"
    # Staff above import for the whole subtree of the organisation named.
    far = Table(HEADERS, [[district.far_member.number, "", "走访", "2011-06-30", "评议", ""]])
    staff = district.users["committee"]
    assert not run(far, district, small_campaign, user=staff, organization=district.street).ok
    assert run(table, district, small_campaign, user=staff, organization=district.street).ok


def test_a_missing_required_column_is_one_error_naming_it(district, small_campaign, people):
    table = Table(["党员编号", "承诺事项", "检验方式", "备注"], [["B1001", "走访", "评议", "x"]])

    report = run(table, district, small_campaign)

    assert error_cells(report) == [(1, "完成时限")]
    assert report.errors[0].reason == "缺少必填列"


def test_columns_may_come_in_any_order_and_extra_ones_are_ignored(district, small_campaign, people):
    table = Table(
        ["备注", "检验方式", "完成时限", "承诺事项", "党员编号"],
        [["随便写", "评议", "2011-06-30", "走访", "B1001"]],
    )

    report = run(table, district, small_campaign)

    assert report.ok, report.errors
    pledge = Pledge.objects.get()
    assert pledge.audience == Pledge.Audience.PUBLIC
    assert items_of(pledge) == [("走访", D(2011, 6, 30), "评议", None)]


def test_more_than_twenty_items_for_one_pledge_names_the_extra_row(
    district, small_campaign, people
):
    rows = [["B1001", "", f"第{i}件事", "2011-06-30", "评议", ""] for i in range(21)]

    report = run(Table(HEADERS, rows), district, small_campaign)

    assert error_cells(report) == [(22, "承诺事项")]
    assert "最多 20 项" in report.errors[0].reason
    assert Pledge.objects.count() == 0


@pytest.mark.parametrize("approve", [False, True], ids=["submitted", "approved"])
def test_a_pledge_under_review_cannot_be_overwritten(district, small_campaign, people, approve):
    secretary = district.users["secretary"]
    pledge = existing_pledge(
        district, small_campaign, people["zhang"], [("旧", D(2011, 1, 1), "查")]
    )
    pledge = pledge_submit(pledge=pledge, user=secretary)
    if approve:
        pledge = pledge_approve(pledge=pledge, user=district.users["committee"])

    report = run(rows_file(), district, small_campaign)

    assert error_cells(report) == [(2, "党员编号")]
    assert report.errors[0].reason == "该党员的承诺正在审核中，不能导入覆盖"
    assert items_of(pledge) == [("旧", D(2011, 1, 1), "查", None)]
    assert not Pledge.objects.filter(member=people["li"]).exists()


@pytest.mark.parametrize("returned", [False, True], ids=["draft", "returned"])
def test_a_draft_or_returned_pledge_has_its_items_replaced(
    district, small_campaign, people, returned
):
    secretary = district.users["secretary"]
    pledge = existing_pledge(
        district, small_campaign, people["zhang"], [("旧", D(2011, 1, 1), "查")]
    )
    if returned:
        pledge = pledge_submit(pledge=pledge, user=secretary)
        pledge = pledge_return(pledge=pledge, user=secretary, reason="不够具体")

    report = run(rows_file(), district, small_campaign)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert {"row": 2, "action": "更新", "key": "B1001", "name": "张三·向群众"} in report.preview
    pledge.refresh_from_db()
    assert pledge.revision == 1
    assert pledge.state == (Pledge.State.RETURNED if returned else Pledge.State.DRAFT)
    assert [i[0] for i in items_of(pledge)] == ["每月走访困难群众一次", "办好一件实事"]


def test_a_published_pledge_gets_a_new_revision_to_approve_again(district, small_campaign, people):
    secretary = district.users["secretary"]
    old_items = [("办好一件实事", D(2011, 12, 31), "支部检查"), ("旧事项", D(2011, 1, 1), "查")]
    pledge = existing_pledge(district, small_campaign, people["zhang"], old_items)
    pledge = publish(pledge, secretary, district.users["committee"])
    kept_key = PledgeItem.objects.get(revision__pledge=pledge, content="办好一件实事").key

    report = run(rows_file(), district, small_campaign)

    assert report.ok, report.errors
    assert {"row": 2, "action": "更新（新修订）", "key": "B1001", "name": "张三·向群众"} in (
        report.preview
    )
    pledge.refresh_from_db()
    assert (pledge.state, pledge.revision, pledge.published_revision) == (
        Pledge.State.DRAFT,
        2,
        1,
    )
    # The board keeps the published text; the new revision holds the import.
    assert items_of(pledge, 1) == [(c, d, v, None) for c, d, v in old_items]
    assert [i[0] for i in items_of(pledge, 2)] == ["每月走访困难群众一次", "办好一件实事"]
    # An item carried over keeps its key, so its 践诺 entries stay attached.
    assert PledgeItem.objects.get(revision__number=2, content="办好一件实事").key == kept_key
    assert PledgeItem.objects.get(revision__number=2, content="每月走访困难群众一次").key == 3

    again = run(rows_file(), district, small_campaign)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert PledgeRevision.objects.filter(pledge=pledge).count() == 2


def test_an_unchanged_published_pledge_is_left_alone(district, small_campaign, people):
    secretary = district.users["secretary"]
    table = Table(HEADERS, [["B1001", "向群众", "走访", "2011-06-30", "评议", "2"]])
    assert run(table, district, small_campaign).ok
    pledge = publish(Pledge.objects.get(), secretary, district.users["committee"])

    report = run(table, district, small_campaign)

    assert (report.updated, report.unchanged) == (0, 1)
    pledge.refresh_from_db()
    assert (pledge.state, pledge.revision) == (Pledge.State.PUBLISHED, 1)


def test_dry_run_writes_nothing_but_reports_what_would_happen(district, small_campaign, people):
    pledge = existing_pledge(
        district, small_campaign, people["zhang"], [("旧", D(2011, 1, 1), "查")]
    )
    audit_count = AuditEntry.objects.count()

    report = run(rows_file(), district, small_campaign, dry_run=True)

    assert report.ok and report.dry_run
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert Pledge.objects.count() == 1
    assert items_of(pledge) == [("旧", D(2011, 1, 1), "查", None)]
    assert AuditEntry.objects.count() == audit_count


def test_what_the_workflow_refuses_is_reported_on_the_pledges_first_row(
    district, small_campaign, people, monkeypatch
):
    def refuse(**kwargs):
        raise PledgeError("您无权为该党组织或党员录入承诺")

    monkeypatch.setattr("pledges.importer.pledge_create", refuse)

    report = run(rows_file(), district, small_campaign, dry_run=True)

    assert error_cells(report) == [(2, "党员编号"), (4, "党员编号")]
    assert report.errors[0].reason == "您无权为该党组织或党员录入承诺"


def test_a_member_entering_their_own_pledge_is_not_on_behalf(district, small_campaign):
    secretary = district.users["secretary"]
    Member.objects.filter(pk=district.member.pk).update(user=secretary)
    table = Table(HEADERS, [[district.member.number, "", "走访", "2011-06-30", "评议", ""]])

    assert run(table, district, small_campaign).ok
    assert Pledge.objects.get().on_behalf is False


def test_a_gb18030_csv_from_excel_imports(district, small_campaign, people):
    text = "党员编号,承诺对象,承诺事项,完成时限,检验方式,对应标准\r\n"
    text += "B1001,向群众,每月走访困难群众一次,2011/6/30,群众评议,3\r\n"
    table = read_table(text.encode("gb18030"), "承诺.csv")

    report = run(table, district, small_campaign)

    assert report.ok, report.errors
    assert items_of(Pledge.objects.get()) == [
        ("每月走访困难群众一次", D(2011, 6, 30), "群众评议", "3")
    ]


def test_an_xlsx_with_date_and_number_cells_imports(district, small_campaign, people):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["*党员编号", "承诺事项", "完成时限", "检验方式", "对应标准"])
    sheet.append(["B1001", "每月走访困难群众一次", dt.datetime(2011, 6, 30), "群众评议", 3])
    sheet.append(["B1001", "办好一件实事", "2011-12-31", "支部检查", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "承诺.xlsx")

    report = run(table, district, small_campaign)

    assert report.ok, report.errors
    assert items_of(Pledge.objects.get()) == [
        ("每月走访困难群众一次", D(2011, 6, 30), "群众评议", "3"),
        ("办好一件实事", D(2011, 12, 31), "支部检查", None),
    ]


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_an_excel_97_or_ods_file_imports(district, small_campaign, people, fmt):
    from tests import workbooks

    rows = [
        ["B1001", "每月走访困难群众一次", D(2011, 6, 30), "群众评议", 3],
        ["B1002", "办好一件实事", "2011-12-31", "支部检查", ""],
    ]
    data = getattr(workbooks, fmt)(
        ["党员编号", "承诺事项", "完成时限", "检验方式", "对应标准"], rows
    )

    report = run(read_table(data, f"承诺.{fmt}"), district, small_campaign)

    assert report.ok, report.errors
    assert report.created == 2
    assert items_of(Pledge.objects.get(member=people["zhang"])) == [
        ("每月走访困难群众一次", D(2011, 6, 30), "群众评议", "3")
    ]
    assert items_of(Pledge.objects.get(member=people["li"])) == [
        ("办好一件实事", D(2011, 12, 31), "支部检查", None)
    ]


def test_progress_is_reported(district, small_campaign, people):
    seen = []

    run(rows_file(), district, small_campaign, progress=lambda p, m: seen.append((p, m)))

    assert seen[0][0] == 5 and seen[-1] == (100, "导入完成")
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)


def test_two_thousand_rows_import_in_a_bounded_number_of_queries(
    district, small_campaign, django_assert_max_num_queries
):
    """New pledges are filed one by one through ``pledge_create`` (its checks and
    audit), so the first import costs a fixed handful of queries per pledge; an
    unchanged re-import reads in bulk. (Speed is for benchmarks/, not a timed
    test that fails on a busy machine.)"""
    Member.objects.bulk_create(
        MemberFactory.build(organization=district.branch, number=f"P{i:05d}") for i in range(1000)
    )
    rows = [
        [f"P{i:05d}", "", f"第{n}件事", "2011-06-30", "评议", "1"]
        for i in range(1000)
        for n in (1, 2)
    ]
    user = UserFactory(is_superuser=True, is_staff=True)

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        report = run(Table(HEADERS, rows), district, small_campaign, user=user)
    assert len(queries) <= 13 * 1000, len(queries)  # 12,007 measured: 12 a pledge

    assert report.ok, report.errors[:3]
    assert report.created == 1000
    assert PledgeItem.objects.count() == 2000

    with django_assert_max_num_queries(20):
        again = run(Table(HEADERS, rows), district, small_campaign, user=user)
    assert again.unchanged == 1000


# The same bad pledge through the import and through the service (the pages'
# path): both refuse it, with the same message. The service names the item
# ("第1项：…"), the import the line and column instead.
SAME_REFUSAL = [
    ("blank content", ["B1001", "向群众", " ", "2011-06-30", "评议"], "承诺事项", "承诺事项不能为空"),
    ("content too long", ["B1001", "向群众", "走" * 501, "2011-06-30", "评议"], "承诺事项", "承诺事项不能超过 500 字（现有 501 字）"),
    ("no due date", ["B1001", "向群众", "走访", "", "评议"], "完成时限", "请填写完成时限"),
    ("due after the campaign", ["B1001", "向群众", "走访", "2013-01-01", "评议"], "完成时限", "完成时限 2013-01-01 不在活动期间（2010-05-01 至 2012-11-07）"),
    ("due before the campaign", ["B1001", "向群众", "走访", "2010-04-30", "评议"], "完成时限", "完成时限 2010-04-30 不在活动期间（2010-05-01 至 2012-11-07）"),
    ("no verification", ["B1001", "向群众", "走访", "2011-06-30", " "], "检验方式", "请填写检验方式"),
    ("verification too long", ["B1001", "向群众", "走访", "2011-06-30", "评" * 201], "检验方式", "检验方式不能超过 200 字（现有 201 字）"),
]  # fmt: skip


@pytest.mark.parametrize("case,row,column,message", SAME_REFUSAL, ids=[c[0] for c in SAME_REFUSAL])
def test_import_and_service_refuse_a_bad_item_with_the_same_message(
    district, campaign, people, case, row, column, message
):
    number, audience, content, due, verification = row
    report = run(Table(HEADERS[:5], [row]), district, campaign)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(2, column, message)]

    with pytest.raises(PledgeError) as refused:
        pledge_create(
            campaign=campaign,
            user=district.users["secretary"],
            organization=district.branch,
            audience=Pledge.Audience.PUBLIC,
            member=people["zhang"],
            items=[ItemInput(content, D.fromisoformat(due) if due else None, verification)],
        )
    assert str(refused.value) == f"第1项：{message}"
    assert not Pledge.objects.exists()


def test_import_and_service_refuse_an_organisations_audience_alike(district, campaign, people):
    """向上级党组织 is an organisation's audience: a member's pledge may not have it."""
    report = run(
        Table(HEADERS[:5], [["B1001", "向上级党组织", "走访", "2011-06-30", "评议"]]),
        district,
        campaign,
    )
    with pytest.raises(PledgeError) as refused:
        pledge_create(
            campaign=campaign,
            user=district.users["secretary"],
            organization=district.branch,
            audience=Pledge.Audience.PARENT,
            member=people["zhang"],
            items=[ItemInput("走访", D(2011, 6, 30), "评议")],
        )
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "承诺对象", str(refused.value))
    ]
    assert str(refused.value) == "党员的承诺对象只能是向党组织或向群众"


def test_import_and_service_refuse_too_many_items_with_the_same_rule(district, campaign, people):
    rows = [["B1001", "向群众", f"事项{i}", "2011-06-30", "评议"] for i in range(21)]
    report = run(Table(HEADERS[:5], rows), district, campaign)
    with pytest.raises(PledgeError) as refused:
        pledge_create(
            campaign=campaign,
            user=district.users["secretary"],
            organization=district.branch,
            audience=Pledge.Audience.PUBLIC,
            member=people["zhang"],
            items=[ItemInput(r[2], D(2011, 6, 30), r[4]) for r in rows],
        )
    assert str(refused.value) == "承诺事项最多 20 项，现有 21 项"
    assert [(e.row, e.column) for e in report.errors] == [(22, "承诺事项")]
    assert report.errors[0].reason.startswith(str(refused.value))
