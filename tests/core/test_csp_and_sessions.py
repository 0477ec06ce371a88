"""The Content-Security-Policy every page sends, pages that keep it, and sessions
that end on shared office PCs."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def test_every_page_sends_a_policy_that_allows_only_our_scripts(client, db):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]


def test_no_template_has_an_inline_script_or_handler():
    found = []
    for path in TEMPLATES.rglob("*.html"):
        if path.parts[-2] == "pdf":  # WeasyPrint runs no scripts
            continue
        text = path.read_text()
        found += [f"{path.name}: handler" for _ in INLINE_HANDLER.finditer(text)]
        found += [
            f"{path.name}: inline script"
            for tag in re.findall(r"<script\b[^>]*>", text)
            if "src=" not in tag and 'type="application/json"' not in tag
        ]
        found += [f"{path.name}: javascript: link" for _ in re.finditer("javascript:", text)]
    assert found == []


def test_a_session_ends_with_the_browser_or_after_a_working_day_idle(client, district, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    settings.SESSION_TOUCH_SECONDS = 0  # the request restarts the clock: its cookie is sent
    client.force_login(district.users["secretary"])
    response = client.get(reverse("home"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert client.session.get_expiry_age() == 8 * 3600


def test_a_request_restarts_the_idle_clock_at_most_once_a_minute(client, district, monkeypatch):
    """Not a session write on every page view (a commit per request under load):
    the idle clock moves when SESSION_TOUCH_SECONDS have passed since it last did."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    start = timezone.now()
    clock = [start]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    client.force_login(district.users["secretary"])

    def expiry():
        return Session.objects.get(session_key=client.session.session_key).expire_date

    first = expiry()
    assert first == start + dt.timedelta(hours=8)
    clock[0] = start + dt.timedelta(seconds=30)
    client.get(reverse("home"))
    assert expiry() == first  # within the minute of the login: nothing written
    clock[0] = start + dt.timedelta(seconds=61)
    client.get(reverse("home"))
    assert expiry() == clock[0] + dt.timedelta(hours=8)  # another working day from now
    clock[0] = start + dt.timedelta(seconds=90)
    client.get(reverse("home"))
    assert expiry() == start + dt.timedelta(seconds=61, hours=8)
