"""Logins are throttled; settings refuse bad values; production settings pass the deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from config.env import env_bool, env_database, env_int

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_repeated_failed_logins_are_refused_even_with_the_right_password(
    client, district, settings
):
    cache.clear()
    settings.LOGIN_MAX_FAILURES = 3
    url = reverse("login")
    for _ in range(3):
        response = client.post(url, {"username": "committee", "password": "wrong"})
        assert response.status_code == 200
    from tests.factories import PASSWORD

    response = client.post(url, {"username": "committee", "password": PASSWORD})
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    # Another account from the same address is not affected.
    response = client.post(url, {"username": "office", "password": PASSWORD})
    assert response.status_code == 302
    cache.clear()


@pytest.mark.django_db
def test_a_good_login_clears_the_count(client, district, settings):
    cache.clear()
    settings.LOGIN_MAX_FAILURES = 2
    from tests.factories import PASSWORD

    client.post(reverse("login"), {"username": "committee", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "committee", "password": PASSWORD}).status_code
        == 302
    )
    client.logout()
    client.post(reverse("login"), {"username": "committee", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "committee", "password": PASSWORD}).status_code
        == 302
    )
    cache.clear()


@pytest.mark.parametrize(
    "reader,name,value",
    [
        (lambda: env_bool("X_FLAG", False), "X_FLAG", "maybe"),
        (lambda: env_int("X_NUMBER", 1), "X_NUMBER", "ten"),
        (lambda: env_int("X_NUMBER", 1, minimum=5), "X_NUMBER", "2"),
        (lambda: env_database("X_DB", "sqlite:///x"), "X_DB", "mysql://localhost/db"),
    ],
)
def test_settings_refuse_bad_values(monkeypatch, reader, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        reader()


def _manage(*args, **env):
    dropped = (
        "DEBUG",
        "SECRET_KEY",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    )  # the last is set for the browser tests
    environment = {k: v for k, v in os.environ.items() if k not in dropped} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_production_settings_need_a_secret_key():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="x" * 30 + "a-long-random-production-secret-key-1234567890",
        ALLOWED_HOSTS="dangjian.example.gov.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
