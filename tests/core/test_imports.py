"""The importers' shared kit: row errors, the error collector and the column index."""

import datetime as dt
import gc

import pytest

from core.imports import (
    MAX_REPORTED_ERRORS,
    ColumnIndex,
    ImportReport,
    RowError,
    RowErrors,
    gc_paused,
)


def test_a_row_error_reads_as_one_sentence():
    assert str(RowError(3, "入党日期", "2999-01-01", "入党日期不能晚于今天")) == (
        "第 3 行「入党日期」（值：2999-01-01）：入党日期不能晚于今天"
    )
    assert str(RowError(0, "", "", "文件为空")) == "文件：文件为空"


def test_the_collector_shows_any_cell_as_short_text_and_knows_when_to_stop():
    errors = RowErrors()
    errors.add(2, "出生日期", dt.date(1980, 5, 4), "x")
    errors.add(2, "党员编号", 1001.0, "x")
    errors.add(2, "姓名", "长" * 100, "x")
    assert [e.value for e in errors[:2]] == ["1980-05-04", "1001"]
    assert len(errors[2].value) == 60
    assert not errors.full
    errors.extend(RowError(9, "", "", "x") for _ in range(MAX_REPORTED_ERRORS - len(errors)))
    assert errors.full


def test_the_report_for_a_job_caps_its_errors_and_keeps_their_text():
    report = ImportReport(kind="members", dry_run=True, total=600)
    report.errors = [RowError(i, "姓名", "", "不能为空") for i in range(600)]
    data = report.as_dict()
    assert not report.ok and data["error_count"] == 600
    assert len(data["errors"]) == MAX_REPORTED_ERRORS
    assert data["errors"][0] == {
        "row": 0,
        "column": "姓名",
        "value": "",
        "reason": "不能为空",
        "text": "文件「姓名」：不能为空",
    }


def test_a_template_file_must_have_every_column_and_no_other():
    errors = RowErrors()
    index = ColumnIndex.read(
        ["姓名", "", "编号", "备注", "姓名"], required=["编号", "姓名", "性别"], errors=errors
    )
    assert [(e.row, e.column, e.reason) for e in errors] == [
        (1, "姓名", "表头重复"),
        (1, "性别", "缺少列，请使用下载的模板"),
        (1, "备注", "无法识别的列，请使用下载的模板"),
    ]
    assert index["姓名"] == 0 and index["编号"] == 2 and "性别" not in index


def test_a_file_of_ones_own_may_add_columns_but_not_lose_required_ones():
    errors = RowErrors()
    index = ColumnIndex.read(
        ["备注", "承诺事项", "备注", "对应标准"],
        required=["党员编号", "承诺事项"],
        optional=["对应标准", "承诺对象"],
        extra_allowed=True,
        errors=errors,
    )
    assert [(e.column, e.reason) for e in errors] == [("党员编号", "缺少必填列")]
    row = ["x", "走访"]  # shorter than the header row
    assert index.cell(row, "承诺事项") == "走访"
    assert index.cell(row, "对应标准") == ""  # the row stops before it
    assert index.cell(row, "承诺对象") == ""  # the file has no such column


def test_the_collector_pause_ends_with_the_block_even_on_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller's own pause is left as it was
    finally:
        gc.enable()


def test_a_file_is_recognised_only_by_an_import_whose_columns_it_has_all_of():
    from core.imports import TEMPLATES, recognise

    assert {"organizations", "members", "pledges"} <= set(TEMPLATES)  # the apps registered them
    members = list(TEMPLATES["members"].required)
    assert recognise(members, among=["organizations", "members"]) == "members"
    assert recognise(members[:-1], among=["organizations", "members"]) is None
    assert recognise(
        ["党员编号", "承诺事项", "完成时限", "检验方式", "备注"], among=["pledges"]
    ) == ("pledges")
    assert recognise(members, among=["organizations"]) is None


def test_the_hint_names_the_import_a_file_is_closer_to_and_where_it_is():
    from core.imports import other_import_hint

    roll = ["党员编号", "姓名", "性别", "出生日期"]
    hint = other_import_hint(roll, current="organizations")
    assert hint is not None and hint.row == 1
    assert (
        hint.reason
        == "这个文件的表头是「党员」导入模板的列：请在「导入内容」中选择「党员」后重新上传"
    )
    pledge = other_import_hint(roll, current="pledges")
    assert pledge is not None and pledge.reason == (
        "这个文件的表头是「党员」导入模板的列，不是「党员承诺」的：请按本页的模板填写"
        "（「党员」文件在「批量导入党组织和党员」页面导入）"
    )
    # A header or two in common, or a file that is its own import's after all: no hint.
    assert other_import_hint(["党员编号", "说明"], current="pledges") is None
    assert other_import_hint(["组织代码", "组织名称", "姓名"], current="organizations") is None
