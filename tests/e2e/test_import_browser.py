"""Uploading spreadsheets in a real browser, desktop and phone (issue 9 §3, §4).

A committee's staff leave the import page on its default (党组织) and upload a
member roll saved as Excel 97–2003: the file is recognised by its headers and
imported as members. A file that fails its check shows its errors and a
重新上传 link, in place of a progress bar stuck at 2 %; so does a job that
fails while the page is polling it. A branch secretary who uploads a member
roll on the pledge import is told where it belongs. Every step is
screenshotted to test-artifacts/.
"""

import datetime as dt
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.factories import licheng_campaign, make_district
from tests.workbooks import ods, xls

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

from tests.e2e.test_browser import (  # noqa: E402 (after the skips, like the helpers' module)
    assert_no_sideways_scroll,
    log_in,
    press,
)

pytestmark = pytest.mark.browser

MEMBER_HEADERS = ["党员编号", "姓名", "性别", "出生日期", "入党日期", "党员类别"]
MEMBER_HEADERS += ["所在党组织代码", "工作岗位", "手机号码"]


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def upload(page, name: str, content: bytes) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": content}]
    )


def assert_failed_check_page(page, *, error: str) -> None:
    """The state, the error list and the way back; no progress bar."""
    expect(page.locator(".tag.status-failed")).to_have_text("失败")
    expect(page.locator("table.errors-table")).to_contain_text(error)
    expect(page.get_by_role("link", name="重新上传")).to_be_visible()
    expect(page.locator("progress")).to_have_count(0)
    assert_no_sideways_scroll(page)


def test_a_member_roll_on_the_default_target_imports_and_a_bad_file_links_back(
    live_server, page, viewport, screenshot
):
    district = make_district()
    rows = [
        ["E1", "王芳", "女", dt.date(1988, 3, 8), dt.date(2012, 7, 1), "正式党员"]
        + [district.branch.code, "教师", 13800138000],
        ["E2", "李强", "男", dt.date(1979, 10, 1), dt.date(2001, 7, 1), "正式党员"]
        + [district.branch.code, "", ""],
    ]
    page.goto(live_server.url + "/orgs/import/")
    log_in(page, "committee")
    expect(page.get_by_role("heading", name="批量导入党组织和党员")).to_be_visible()
    expect(page.locator("[name=target]")).to_have_value("organizations")  # left as it is
    upload(page, "党员名册.xls", xls(MEMBER_HEADERS, rows))
    screenshot(page, "upload")
    press(page.get_by_role("button", name="上传并校验"), viewport)

    expect(page.get_by_role("heading", name="导入预览（未写入）")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "按表头识别为「党员」文件（上传时选择的是「党组织」）"
    )
    expect(page.locator("main")).to_contain_text("共 2 行：新增 2，更新 0，无变化 0。")
    assert_no_sideways_scroll(page)
    screenshot(page, "recognised-preview")
    press(page.get_by_role("button", name="确认导入"), viewport)
    expect(page.get_by_role("heading", name="导入结果")).to_be_visible()
    expect(page.locator(".tag.status-succeeded")).to_be_visible()
    expect(page.locator("main")).to_contain_text("新增 2")

    # A roll that lost its 手机号码 column: not guessed; said, with a way back.
    page.goto(live_server.url + "/orgs/import/")
    upload(page, "党员.ods", ods(MEMBER_HEADERS[:-1], [row[:-1] for row in rows]))
    press(page.get_by_role("button", name="上传并校验"), viewport)
    assert_failed_check_page(page, error="请在「导入内容」中选择「党员」后重新上传")
    screenshot(page, "failed-check")
    press(page.get_by_role("link", name="重新上传"), viewport)
    expect(page).to_have_url(live_server.url + "/orgs/import/")

    # A file that cannot be read at all ends the same way.
    upload(page, "党员.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000)
    press(page.get_by_role("button", name="上传并校验"), viewport)
    assert_failed_check_page(page, error="Excel 文件已损坏")
    screenshot(page, "unreadable")
    assert page.problems == []


def test_a_check_that_fails_while_the_page_polls_shows_its_errors(
    live_server, page, viewport, screenshot
):
    from core.models import Job

    district = make_district()
    job = Job.objects.create(
        kind="import",
        status=Job.Status.RUNNING,
        progress=2,
        message="正在读取文件",
        params={"target": "members", "dry_run": True, "filename": "m.csv"},
        created_by=district.users["committee"],
    )
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    log_in(page, "committee")
    expect(page.locator("progress")).to_have_attribute("value", "2")
    screenshot(page, "running")

    # The worker finishes the check while the page is open (polling every second).
    reason = "缺少列，请使用下载的模板"
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED,
        message="",  # as core.jobs._finish leaves it
        error="文件中有 1 处错误，未写入任何数据",
        result={
            "kind": "members",
            "dry_run": True,
            "error_count": 1,
            "errors": [{"row": 1, "column": "姓名", "value": "", "reason": reason, "text": ""}],
        },
    )
    assert_failed_check_page(page, error=reason)
    expect(page.locator("main")).to_contain_text("文件中有 1 处错误，未写入任何数据")
    screenshot(page, "failed-after-polling")
    assert page.problems == []


def test_a_member_roll_on_the_pledge_import_says_where_it_belongs(
    live_server, page, viewport, screenshot
):
    district = make_district()
    licheng_campaign(district)
    page.goto(live_server.url + "/pledges/import/")
    log_in(page, "secretary")
    expect(page.get_by_role("heading", name="批量导入党员承诺")).to_be_visible()
    upload_page = page.url
    roll = [["E1", "王芳", "女", dt.date(1988, 3, 8), dt.date(2012, 7, 1), "正式党员"]]
    upload(page, "党员名册.ods", ods(MEMBER_HEADERS[:6], roll))
    press(page.get_by_role("button", name="上传并校验"), viewport)
    assert_failed_check_page(page, error="（「党员」文件在「批量导入党组织和党员」页面导入）")
    screenshot(page, "roll-on-pledge-import")
    press(page.get_by_role("link", name="重新上传"), viewport)
    expect(page.get_by_role("heading", name="批量导入党员承诺")).to_be_visible()
    assert "organization=" in page.url and "campaign=" in page.url, (page.url, upload_page)

    pledges = [
        [district.member.number, "每月走访困难群众两户", dt.date(2011, 6, 30), "走访记录"],
        [district.member.number, "带头参加志愿服务", "2011-12-31", "志愿服务台账"],
    ]
    upload(page, "承诺.xls", xls(["党员编号", "承诺事项", "完成时限", "检验方式"], pledges))
    press(page.get_by_role("button", name="上传并校验"), viewport)
    expect(page.get_by_role("heading", name="导入预览（未写入）")).to_be_visible()
    expect(page.locator("main")).to_contain_text("新增承诺 1 份")
    screenshot(page, "pledge-preview")
    assert page.problems == []
