"""群众评议 in a browser: a visitor scans a slip's QR address on a phone, answers
and is thanked; the same code is refused the second time. The office's results
page, desktop and phone, shows the answer. Screenshots in test-artifacts/."""

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from reviews import surveys
from reviews.models_surveys import SurveyCodeBatch, SurveyResponse, SurveySubject
from reviews.survey_slips import answer_url
from tests.e2e.conftest import CHROMIUM, open_page
from tests.factories import licheng_campaign, make_district

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=10_000)

from tests.e2e.test_browser import assert_no_sideways_scroll, log_in, press  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def visitor(chromium_browser):
    context, visitor = open_page(chromium_browser, "phone")
    yield visitor
    context.close()


def test_a_visitor_scans_a_slip_answers_once_and_the_office_sees_it(
    live_server, page, viewport, visitor, screenshot, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    district = make_district()
    campaign = licheng_campaign(district)
    today = timezone.localdate()
    survey = surveys.survey_create(
        user=district.users["office"],
        campaign=campaign,
        organization=district.street,
        title="2026年度群众评议",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=10),
    )
    subject = SurveySubject.objects.get(survey=survey, organization=district.branch)
    batch = SurveyCodeBatch.objects.create(subject=subject, size=2)
    with transaction.atomic():
        codes = surveys.issue_codes(batch)
        batch.state = SurveyCodeBatch.State.ISSUED
        batch.save()

    # The QR code on the slip is this address, the code filled in.
    visitor.goto(answer_url(codes[0]))
    expect(visitor.locator(".subject")).to_contain_text(district.branch.name)
    for q in range(3):
        press(visitor.locator(f"fieldset:nth-of-type({q + 1}) label").first, "phone")
    visitor.locator("#opinion").fill("希望多到群众家里走走")
    assert_no_sideways_scroll(visitor)
    screenshot(visitor, "visitor-form")
    press(visitor.get_by_role("button", name="提交评议"), "phone")
    expect(visitor.get_by_role("status")).to_contain_text("评议已提交，感谢您的参与")
    screenshot(visitor, "visitor-thanks")
    assert SurveyResponse.objects.get().answers == [0, 0, 0]

    # The same slip again: refused, nothing written.
    visitor.goto(answer_url(codes[0]))
    expect(visitor.get_by_role("status")).to_contain_text("已经使用过")
    assert_no_sideways_scroll(visitor)
    screenshot(visitor, "visitor-used")
    assert SurveyResponse.objects.count() == 1
    assert visitor.problems == []

    # The office reads the results.
    page.goto(live_server.url + "/")
    log_in(page, "office")
    page.goto(f"{live_server.url}/reviews/surveys/{survey.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("2026年度群众评议")
    expect(page.locator("main")).to_contain_text("100.00%")
    assert_no_sideways_scroll(page)
    screenshot(page, "office-results")
