"""The office hands a category's quota down to the streets on the quota page, at
phone and desktop sizes (screenshots in test-artifacts/)."""

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.factories import licheng_campaign, make_district

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

from tests.e2e.test_browser import assert_no_sideways_scroll, log_in  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_office_allocates_a_quota(live_server, page, viewport, screenshot):
    from awards.models import AwardCategory, AwardRound

    district = make_district()
    campaign = licheng_campaign(district)
    start = campaign.start_date
    round_ = AwardRound.objects.create(
        campaign=campaign,
        name="2011年“七一”表彰",
        nomination_deadline=start + dt.timedelta(days=30),
        endorsement_deadline=start + dt.timedelta(days=40),
        review_deadline=start + dt.timedelta(days=50),
    )
    category = AwardCategory.objects.create(
        round=round_, name="优秀共产党员", subject="member", total_quota=10
    )
    page.goto(f"{live_server.url}/awards/categories/{category.pk}/quota/{district.root.pk}/")
    log_in(page, "office")
    page.get_by_role("button", name="按比例分配到下级").click()
    expect(page.get_by_text("已按比例把名额分配到下级")).to_be_visible()
    expect(page.get_by_label("第一街道党工委")).to_have_value("8")
    screenshot(page, "quota")
    assert_no_sideways_scroll(page)
    page.goto(f"{live_server.url}/awards/{round_.pk}/")
    expect(page.get_by_text("优秀共产党员").first).to_be_visible()
    screenshot(page, "round")
    assert_no_sideways_scroll(page)


def test_the_flow_from_nomination_to_award(live_server, page, viewport, screenshot, monkeypatch):
    """A branch nominates, the committee endorses for its two levels, the office
    endorses, vets and publishes; a visitor objects on the public page without a
    login; the office dismisses the objection and, once 公示 is over, finalises
    (the 表彰 job, its result on the round page)."""
    from awards.models import AwardRound, Nomination
    from tests.awards.builders import DEEDS, TODAY, award_world, in_publicity

    monkeypatch.setattr("awards.nominations.today", lambda: TODAY)
    district = make_district()
    world = award_world(district, licheng_campaign(district))
    base = live_server.url
    page.goto(f"{base}/awards/categories/{world.category.pk}/nominate/{district.branch.pk}/")
    log_in(page, "secretary")
    page.get_by_label("推荐对象").select_option(str(district.member.pk))
    page.get_by_label("简要事迹").fill("带头走访群众，服务群众事迹突出")
    page.get_by_label("事迹材料").fill(DEEDS)
    screenshot(page, "nominate")
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name="推荐", exact=True).click()
    expect(page.get_by_text("已推荐，等待上级逐级审核")).to_be_visible()
    nomination = Nomination.objects.get()

    page.context.clear_cookies()
    page.goto(f"{base}/awards/nominations/{nomination.pk}/")
    log_in(page, "committee")
    for level in ("第一社区党委", "第一街道党工委"):
        expect(page.get_by_text(f"待{level}审核").first).to_be_visible()
        page.get_by_role("button", name="同意推荐", exact=True).click()
        expect(page.get_by_text("已同意推荐")).to_be_visible()
    page.context.clear_cookies()
    page.goto(f"{base}/awards/nominations/{nomination.pk}/")
    log_in(page, "office")
    page.get_by_role("button", name="同意推荐", exact=True).click()
    page.get_by_role("button", name="复审通过").click()
    expect(page.get_by_text("复审通过").first).to_be_visible()
    screenshot(page, "chain")
    assert_no_sideways_scroll(page)
    page.goto(f"{base}/awards/{world.round.pk}/")
    page.get_by_role("button", name="公示复审通过名单（7 天）").click()
    expect(page.get_by_text("公示中").first).to_be_visible()

    page.context.clear_cookies()
    page.goto(f"{base}/biaozhang/{world.round.pk}/")
    expect(page.get_by_text("带头走访群众，服务群众事迹突出")).to_be_visible()
    page.get_by_label("异议对象").select_option(str(nomination.pk))
    page.get_by_label("异议内容").fill("该同志的走访次数与实际不符")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_text("异议已收到")).to_be_visible()
    expect(page.get_by_text("正在核实处理的异议：1 件")).to_be_visible()
    screenshot(page, "public")
    assert_no_sideways_scroll(page)

    page.goto(f"{base}/awards/{world.round.pk}/objections/")
    log_in(page, "office")
    page.get_by_label("处理意见").fill("经核实，走访记录齐全，异议不属实")
    page.get_by_role("button", name="不属实，予以驳回").click()
    expect(page.get_by_text("异议已处理")).to_be_visible()
    in_publicity(world, ended=True)
    page.goto(f"{base}/awards/{world.round.pk}/")
    page.get_by_label("成文日期").fill("2011-06-28")
    # 表彰 is a background job (inline here, without a broker): the round page
    # shows its result once it has ended.
    page.get_by_role("button", name="表彰（发布表彰决定）").click()
    expect(page.get_by_text("已表彰").first).to_be_visible()
    number = AwardRound.objects.get().decision_number
    assert number
    expect(page.get_by_text(f"表彰完成：共表彰 1 个，表彰决定文号 {number}。")).to_be_visible()
    screenshot(page, "finished")
    assert_no_sideways_scroll(page)
    # The office downloads the 表彰决定 from the round page's 文件.
    page.get_by_role("button", name="表彰决定（PDF）").click()
    link = page.get_by_role("link", name="下载文件")
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    data = Path(download.value.path()).read_bytes()
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True).stdout.decode()
    assert data.startswith(b"%PDF") and nomination.subject_name in text
    assert AwardRound.objects.get().decision_number in text.replace(" ", "")
    assert not page.problems
