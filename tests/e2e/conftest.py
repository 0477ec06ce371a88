"""Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

``playwright install`` cannot download browsers here, so the system Chromium is
launched directly; without it (or without the playwright package) the browser
tests are skipped, not failed.
"""

import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


@pytest.fixture(scope="session")
def chromium_browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def page(chromium_browser, viewport):
    """A fresh browser context (cookies, storage) per test, as a Chinese-locale user.

    Uncaught script errors, console errors and failed responses (except the
    browser's own /favicon.ico probe: the site has no icon) are collected on
    ``page.problems`` so a test can assert the pages loaded cleanly.
    """
    context, page = open_page(chromium_browser, viewport)
    yield page
    context.close()


def open_page(browser, viewport: str):
    """A new context and page in ``viewport``, its problems collected on ``page.problems``."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[viewport]
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            # failed loads are reported, with their URL, by the response handler
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.problems = problems
    return context, page


@pytest.fixture
def screenshot(request, viewport):
    """``screenshot(page, "tree")`` saves test-artifacts/<test>-<viewport>-<nn>-tree.png
    (full page); a failed test also gets a final ``-FAILED.png`` of the page it was on."""
    ARTIFACTS.mkdir(exist_ok=True)
    test_name = re.sub(r"\W+", "-", request.node.originalname).strip("-")
    counter = iter(range(1, 100))
    last_page = []

    def take(page, step: str) -> Path:
        path = ARTIFACTS / f"{test_name}-{viewport}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        last_page[:] = [page]
        return path

    yield take
    report = getattr(request.node, "rep_call", None)
    if last_page and report is not None and report.failed:
        take(last_page[0], "FAILED")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can see whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
