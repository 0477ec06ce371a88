"""Importing organisations and members: every good and bad input of the issue."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from core.tabular import TableError, read_table
from orgs.importers import import_members, import_organizations
from orgs.models import Member, MemberTransfer, Organization
from orgs.services import tree_problems

ORG_HEADERS = [
    "组织代码",
    "组织名称",
    "上级组织代码",
    "组织类型",
    "所属领域",
    "书记姓名",
    "联系电话",
    "成立日期",
]
MEMBER_HEADERS = [
    "党员编号",
    "姓名",
    "性别",
    "出生日期",
    "入党日期",
    "党员类别",
    "所在党组织代码",
    "工作岗位",
    "手机号码",
]

# Children before parents, on purpose.
ORG_ROWS = [
    ["X-1-1", "新村第一党支部", "X-1", "党支部", "农村", "王芳", "0531-88886666", "2001-07-01"],
    ["X-1", "新村党总支", "X", "党总支", "农村", "李强", "", "1999/7/1"],
    ["X-2", "新区机关党支部", "X", "党支部", "机关", "", "", ""],
    ["X", "中共新区委员会", "", "党委", "机关", "张伟", "", "1978年12月18日"],
]


def xlsx(headers, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers, rows, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def orgs(data: bytes, name="orgs.xlsx", user=None, dry_run=False):
    return import_organizations(read_table(data, name), user=user, dry_run=dry_run)


def members(data: bytes, name="members.csv", user=None, dry_run=False):
    return import_members(read_table(data, name), user=user, dry_run=dry_run)


def member_rows(org="X-1-1", n=3):
    return [
        [
            f"P{i:04d}",
            f"党员{i}",
            "女" if i % 2 else "男",
            "1980-05-04",
            "2005-07-01",
            "正式党员",
            org,
            "教师",
            "13800138000",
        ]
        for i in range(n)
    ]


def messages(report):
    return [str(e) for e in report.errors]


# ------------------------------------------------------------------ good input


@pytest.mark.django_db
def test_organizations_in_any_order_build_a_sound_tree():
    report = orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    assert report.ok, messages(report)
    assert (report.created, report.updated) == (4, 0)
    root = Organization.objects.get(code="X")
    assert {o.code for o in root.get_descendants()} == {"X-1", "X-2", "X-1-1"}
    assert Organization.objects.get(code="X-1-1").parent.code == "X-1"
    assert Organization.objects.get(code="X").founded_on.isoformat() == "1978-12-18"
    assert tree_problems() == []


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing():
    data = xlsx(ORG_HEADERS, ORG_ROWS)
    orgs(data)
    before = list(
        Organization.objects.order_by("pk").values_list("pk", "lft", "rght", "updated_at")
    )
    again = orgs(data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert (
        list(Organization.objects.order_by("pk").values_list("pk", "lft", "rght", "updated_at"))
        == before
    )

    people = csv_bytes(MEMBER_HEADERS, member_rows())
    assert members(people).created == 3
    stamps = list(Member.objects.order_by("pk").values_list("updated_at", flat=True))
    second = members(people)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert list(Member.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


@pytest.mark.django_db
def test_changed_rows_update_by_code_and_number_and_moves_keep_history():
    orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    members(csv_bytes(MEMBER_HEADERS, member_rows()))
    moved = [row[:] for row in ORG_ROWS]
    moved[0][2] = "X-2"  # X-1-1 now under X-2
    moved[0][1] = "新村第一党支部（更名）"
    report = orgs(xlsx(ORG_HEADERS, moved))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    branch = Organization.objects.get(code="X-1-1")
    assert branch.parent.code == "X-2" and branch.name.endswith("（更名）")
    assert tree_problems() == []

    people = member_rows()
    people[1][6] = "X-2"
    people[2][1] = "改名党员"
    report = members(csv_bytes(MEMBER_HEADERS, people))
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    mover = Member.objects.get(number="P0001")
    assert mover.organization.code == "X-2"
    transfer = MemberTransfer.objects.get(member=mover)
    assert (transfer.from_organization.code, transfer.to_organization.code) == ("X-1-1", "X-2")
    assert Member.objects.get(number="P0002").name == "改名党员"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "encoding,bom", [("utf-8", False), ("utf-8", True), ("gb18030", False), ("gbk", False)]
)
def test_csv_in_utf8_with_or_without_bom_and_gbk(encoding, bom):
    orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    data = csv_bytes(MEMBER_HEADERS, member_rows(), encoding=encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    report = members(data)
    assert report.ok, messages(report)
    assert Member.objects.get(number="P0000").name == "党员0"


@pytest.mark.django_db
def test_members_from_xlsx_with_excel_dates_and_numbers():
    import datetime as dt

    orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    rows = [
        [
            20230001,
            "数字编号",
            "男",
            dt.date(1990, 1, 2),
            dt.datetime(2015, 6, 30),
            "预备党员",
            "X-1-1",
            "",
            13912345678,
        ]
    ]
    report = members(xlsx(MEMBER_HEADERS, rows), name="m.xlsx")
    assert report.ok, messages(report)
    member = Member.objects.get(number="20230001")
    assert (member.birth_date.isoformat(), member.mobile, member.category) == (
        "1990-01-02",
        "13912345678",
        "probationary",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_organizations_and_members_from_excel_97_and_ods_files(fmt):
    import datetime as dt

    from tests import workbooks

    build = getattr(workbooks, fmt)
    dated = [row[:7] + [dt.date(2001, 7, 1)] for row in ORG_ROWS]
    report = orgs(build(ORG_HEADERS, dated), name=f"党组织.{fmt}")
    assert report.ok, messages(report)
    assert (report.created, Organization.objects.get(code="X-1").founded_on) == (
        4,
        dt.date(2001, 7, 1),
    )
    people = [
        [20230001, "数字编号", "男", dt.date(1990, 1, 2), dt.date(2015, 6, 30), "预备党员"]
        + ["X-1-1", "教师", 13912345678],
        ["P0002", "文本编号", "女", "1985-03-04", "2009年7月1日", "正式党员", "X-2", "", ""],
    ]
    report = members(build(MEMBER_HEADERS, people), name=f"党员.{fmt}")
    assert report.ok, messages(report)
    member = Member.objects.get(number="20230001")
    assert (member.birth_date, member.joined_on, member.mobile, member.organization.code) == (
        dt.date(1990, 1, 2),
        dt.date(2015, 6, 30),
        "13912345678",
        "X-1-1",
    )
    assert Member.objects.get(number="P0002").joined_on == dt.date(2009, 7, 1)
    again = members(build(MEMBER_HEADERS, people), name=f"党员.{fmt}")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.django_db
def test_dry_run_writes_nothing():
    report = orgs(xlsx(ORG_HEADERS, ORG_ROWS), dry_run=True)
    assert report.ok and report.created == 4
    assert not Organization.objects.filter(code__startswith="X").exists()


# ------------------------------------------------------------------- bad input


def _truncated_xlsx() -> bytes:
    data = xlsx(ORG_HEADERS, ORG_ROWS)
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "data,name,reason",
    [
        (b"", "orgs.xlsx", "文件为空"),
        (b"   \n", "orgs.csv", "文件为空"),
        (b"PK\x03\x04garbage-not-a-zip", "orgs.xlsx", "已损坏"),
        (None, "orgs.xlsx", "已损坏"),  # truncated
        ("组织代码,组织名称\nA,B\n".encode(), "orgs.xlsx", "不是 Excel"),  # a CSV renamed
        (b"PK\x03\x04" + b"\0" * 100, "orgs.csv", "不是 CSV"),  # an xlsx renamed
        ("组织代码\n".encode(), "orgs.csv", "只有表头"),
        (b"\xff\xfe\x00\x00bad", "orgs.csv", "不是 CSV"),
        (b"a,b\n", "orgs.txt", "不支持的文件类型"),
    ],
)
def test_unreadable_files_get_a_clear_message(data, name, reason):
    if data is None:
        data = _truncated_xlsx()
    with pytest.raises(TableError) as caught:
        read_table(data, name)
    assert reason in str(caught.value)


def test_header_only_xlsx():
    with pytest.raises(TableError, match="只有表头"):
        read_table(xlsx(ORG_HEADERS, []), "orgs.xlsx")


def test_file_over_the_size_cap(settings):
    settings.IMPORT_MAX_BYTES = 2048
    with pytest.raises(TableError, match="文件过大"):
        read_table(b"x" * 4096, "orgs.csv")


def test_zip_bomb_is_refused(monkeypatch):
    import core.tabular

    monkeypatch.setattr(core.tabular, "MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(TableError, match="解压后过大"):
        read_table(xlsx(ORG_HEADERS, ORG_ROWS * 20), "orgs.xlsx")


def _one_error(report, row, column, reason):
    assert not report.ok
    assert any(e.row == row and column in e.column and reason in e.reason for e in report.errors), (
        messages(report)
    )


@pytest.mark.django_db
def test_wrong_and_missing_headers():
    headers = [
        "组织代码",
        "组织名",
        "上级组织代码",
        "组织类型",
        "所属领域",
        "书记姓名",
        "联系电话",
        "成立日期",
    ]
    report = orgs(xlsx(headers, ORG_ROWS))
    _one_error(report, 1, "组织名称", "缺少列")
    _one_error(report, 1, "组织名", "无法识别的列")
    assert not Organization.objects.filter(code__startswith="X").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change,row,column,reason",
    [
        (lambda rows: rows[0].__setitem__(2, "NOPE"), 2, "上级组织代码", "不存在"),
        (lambda rows: rows.append(rows[0][:]), 6, "组织代码", "与第 2 行重复"),
        (lambda rows: rows[0].__setitem__(7, "2010-02-30"), 2, "成立日期", "日期不存在"),
        (lambda rows: rows[0].__setitem__(7, "去年"), 2, "成立日期", "日期格式"),
        (lambda rows: rows[0].__setitem__(3, "党小组"), 2, "组织类型", "未知的组织类型"),
        (lambda rows: rows[0].__setitem__(4, "外太空"), 2, "所属领域", "未知的领域"),
        (lambda rows: rows[0].__setitem__(1, ""), 2, "组织名称", "不能为空"),
        (lambda rows: rows[0].__setitem__(0, "坏 代码"), 2, "组织代码", "只能包含"),
        # X → X-1 → X-1-1 → X: a cycle in parent codes
        (lambda rows: rows[3].__setitem__(2, "X-1-1"), 5, "上级组织代码", "循环"),
        (lambda rows: rows[0].__setitem__(2, "X-1-1"), 2, "上级组织代码", "循环"),  # its own parent
    ],
)
def test_bad_organization_rows_write_nothing(change, row, column, reason):
    rows = [r[:] for r in ORG_ROWS]
    change(rows)
    report = orgs(xlsx(ORG_HEADERS, rows))
    _one_error(report, row, column, reason)
    assert not Organization.objects.filter(code__startswith="X").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "column_index,value,column,reason",
    [
        (6, "NOPE", "所在党组织代码", "不存在"),
        (3, "1980-13-01", "出生日期", "日期不存在"),
        (4, "2999-01-01", "入党日期", "不能晚于今天"),
        (4, "1979-01-01", "入党日期", "应晚于出生日期"),
        (4, "1990-01-01", "入党日期", "未满 18 周岁"),
        (5, "积极分子", "党员类别", "正式党员"),
        (2, "未知", "性别", "男"),
        (8, "12345", "手机号码", "11 位"),
        (0, "", "党员编号", "不能为空"),
    ],
)
def test_bad_member_rows_write_nothing(column_index, value, column, reason):
    orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    rows = member_rows()
    rows[1][column_index] = value
    report = members(csv_bytes(MEMBER_HEADERS, rows))
    _one_error(report, 3, column, reason)
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_member_numbers_in_one_file():
    orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    rows = member_rows()
    rows[2][0] = rows[0][0]
    report = members(csv_bytes(MEMBER_HEADERS, rows))
    _one_error(report, 4, "党员编号", "与第 2 行重复")
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_every_bad_row_is_reported_not_just_the_first():
    orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    rows = member_rows(n=5)
    rows[0][3] = "bad"
    rows[4][6] = "NOPE"
    report = members(csv_bytes(MEMBER_HEADERS, rows))
    assert {e.row for e in report.errors} == {2, 6}


# ----------------------------------------------------------------------- scope


@pytest.mark.django_db
def test_rows_outside_the_importers_subtree_are_refused(district):
    committee = district.users["committee"]  # holds the first street
    rows = [
        [
            "N-1",
            "新支部",
            district.community.code,
            "党支部",
            "街道社区",
            "",
            "",
            "",
        ],  # inside: fine
        [
            "N-2",
            "越权支部",
            district.far_branch.code,
            "党支部",
            "街道社区",
            "",
            "",
            "",
        ],  # other street
        ["N-3", "新区委", "", "党委", "机关", "", "", ""],  # a new root
        [district.far_branch.code, "改名", district.street2.code, "党支部", "街道社区", "", "", ""],
    ]
    report = orgs(xlsx(ORG_HEADERS, rows), user=committee)
    _one_error(report, 3, "上级组织代码", "不在您的管辖范围内")
    _one_error(report, 4, "上级组织代码", "只有系统管理员")
    _one_error(report, 5, "组织代码", "不在您的管辖范围内")
    assert not Organization.objects.filter(code__startswith="N-").exists()

    people = [
        ["Q1", "甲", "男", "1980-01-01", "2005-01-01", "正式党员", district.far_branch.code, "", ""]
    ]
    report = members(csv_bytes(MEMBER_HEADERS, people), user=committee)
    _one_error(report, 2, "所在党组织代码", "不在您的管辖范围内")
    # An existing member elsewhere cannot be pulled in by number either.
    people = [
        [
            district.far_member.number,
            "甲",
            "男",
            "1980-01-01",
            "2005-01-01",
            "正式党员",
            district.branch.code,
            "",
            "",
        ]
    ]
    report = members(csv_bytes(MEMBER_HEADERS, people), user=committee)
    _one_error(report, 2, "党员编号", "管辖范围以外")
    assert Member.objects.get(pk=district.far_member.pk).organization == district.far_branch


@pytest.mark.django_db
def test_committee_can_import_inside_its_subtree(district):
    rows = [["N-1", "新支部", district.community.code, "党支部", "街道社区", "", "", ""]]
    report = orgs(xlsx(ORG_HEADERS, rows), user=district.users["committee"])
    assert report.ok, messages(report)
    assert Organization.objects.get(code="N-1").parent == district.community
    assert tree_problems() == []


# -------------------------------------------------------------------- commands


@pytest.mark.django_db
def test_commands_print_counts_and_fail_with_every_bad_row(tmp_path, capsys):
    org_file = tmp_path / "orgs.xlsx"
    org_file.write_bytes(xlsx(ORG_HEADERS, ORG_ROWS))
    call_command("import_orgs", str(org_file), "--dry-run")
    assert "新增 4" in capsys.readouterr().out
    assert not Organization.objects.filter(code="X").exists()
    call_command("import_orgs", str(org_file))
    assert "新增 4" in capsys.readouterr().out

    rows = member_rows()
    rows[0][3] = "1980-02-30"
    rows[2][5] = "积极分子"
    bad = tmp_path / "members.csv"
    bad.write_bytes(csv_bytes(MEMBER_HEADERS, rows))
    with pytest.raises(CommandError, match="2 处错误"):
        call_command("import_members", str(bad))
    err = capsys.readouterr().err
    assert "第 2 行「出生日期」（值：1980-02-30）：日期不存在" in err
    assert "第 4 行「党员类别」" in err
    assert Member.objects.count() == 0


def test_command_exit_status_is_non_zero_on_bad_rows(tmp_path):
    """Run as a real process: the exit code is what scripts check."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    bad = tmp_path / "orgs.csv"
    bad.write_bytes(csv_bytes(ORG_HEADERS, [["A", "", "", "党小组", "农村", "", "", ""]]))
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 'cmd.sqlite3'}"}
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "import_orgs", str(bad)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "第 2 行「组织名称」：不能为空" in result.stderr
    assert "第 2 行「组织类型」（值：党小组）：未知的组织类型" in result.stderr


@pytest.mark.django_db
def test_blank_optional_columns_stay_blank_on_create_and_update():
    """On PostgreSQL rows go in with COPY, where an empty CSV field would mean NULL."""
    orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    rows = member_rows(n=2)
    rows[0][7] = rows[0][8] = ""  # no post, no mobile
    assert members(csv_bytes(MEMBER_HEADERS, rows)).created == 2
    assert Member.objects.get(number="P0000").mobile == ""
    rows[1][8] = ""  # an update that clears the mobile number
    report = members(csv_bytes(MEMBER_HEADERS, rows))
    assert (report.updated, report.unchanged) == (1, 1)
    assert Member.objects.get(number="P0001").mobile == ""
    assert Member.objects.get(number="P0001").post == "教师"


def test_an_error_after_blank_rows_names_the_files_own_line(district):
    """A bad row on line 6, after two blank lines, is reported as 第 6 行, not 第 4 行."""
    from core.tabular import read_table
    from orgs.importers import import_organizations

    data = (
        "组织代码,组织名称,上级组织代码,组织类型,所属领域,书记姓名,联系电话,成立日期\n"
        "R-N1,新一党支部,R-S2,党支部,街道社区,,,\n"
        "\n"
        ",,,,,,,\n"
        "R-N2,新二党支部,R-S2,党支部,街道社区,,,\n"
        "R-N3,新三党支部,NO-SUCH,党支部,街道社区,,,\n"
    ).encode()
    report = import_organizations(read_table(data, "gaps.csv"), user=None, dry_run=True)
    assert [error.row for error in report.errors] == [6], report.errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_commits_of_one_member_file_at_once_both_end_cleanly(postgres_only):
    """Two confirmations racing (two tabs, two previews of one file): the second
    waits for the first and finds its members unchanged; no UniqueViolation."""
    import threading

    from django.db import connections

    from core.tabular import Table
    from orgs.importers import import_members
    from tests.factories import make_district

    district = make_district()
    rows = [
        [f"RACE{n:04d}", f"党员{n}", "女", "1980-05-04", "2005-07-01", "正式党员",
         district.branch.code, "", ""]
        for n in range(200)
    ]  # fmt: skip
    barrier, reports, failures = threading.Barrier(2), [], []

    def commit():
        try:
            barrier.wait()
            reports.append(
                import_members(
                    Table(MEMBER_HEADERS, [list(r) for r in rows]), user=None, dry_run=False
                )
            )
        except Exception as exc:  # noqa: BLE001 - the test reports what happened
            failures.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sorted((r.created, r.unchanged) for r in reports) == [(0, 200), (200, 0)]
    assert Member.objects.filter(number__startswith="RACE").count() == 200


@pytest.mark.django_db
def test_a_long_member_sheet_streams_with_the_same_result(monkeypatch):
    """Past STREAM_XLSX_ROWS the member import reads the sheet row by row
    (memory flat in the file's length): same values, dates, line numbers and
    refusals as the whole-sheet reader."""
    import datetime as dt

    from core import tabular

    monkeypatch.setattr(tabular, "STREAM_XLSX_ROWS", 2)
    orgs(xlsx(ORG_HEADERS, ORG_ROWS))
    rows = member_rows("X-1-1", 4)
    rows[1][3] = dt.date(1980, 1, 2)  # a real Excel date
    rows[2][0] = 20230001  # a number
    data = xlsx(MEMBER_HEADERS, rows[:2] + [[""] * 9] + rows[2:])  # a blank line 4
    table = read_table(data, "m.xlsx", stream=True)
    assert isinstance(table.rows, tabular.StreamedRows)
    report = import_members(table, user=None, dry_run=False)
    assert report.ok and report.created == 4 and report.total == 4, messages(report)
    assert Member.objects.get(number=rows[1][0]).birth_date == dt.date(1980, 1, 2)
    assert Member.objects.filter(number="20230001").exists()
    assert table.lines == [2, 3, 5, 6]
    with pytest.raises(RuntimeError):
        list(table.rows)  # read once
    # A bad cell is reported on its own line, as without streaming.
    rows[3][2] = "未知"
    data = xlsx(MEMBER_HEADERS, rows[:2] + [[""] * 9] + rows[2:])
    report = import_members(read_table(data, "m.xlsx", stream=True), user=None, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(6, "性别")]
    # Below the threshold, or for other importers, the whole sheet is read.
    assert isinstance(read_table(data[:], "m.xlsx").rows, list)
