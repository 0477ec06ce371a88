"""Logins are throttled; settings refuse bad values; production settings pass the deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from config.env import env_bool, env_database, env_int

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_repeated_failed_logins_are_refused_even_with_the_right_password(
    client, district, settings
):
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


@pytest.mark.django_db
def test_a_good_login_clears_the_count(client, district, settings):
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


@pytest.mark.django_db
def test_the_failures_are_counted_in_the_database_not_a_process(client, district, settings):
    from core.models import LoginFailure

    settings.LOGIN_MAX_FAILURES = 2
    # No cache at all: a Redis outage must not break or open the login page.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    url = reverse("login")
    for _ in range(2):
        client.post(url, {"username": "committee", "password": "wrong"})
    assert LoginFailure.objects.count() == 2  # what every web process reads
    from tests.factories import PASSWORD

    response = client.post(url, {"username": "committee", "password": PASSWORD})
    assert "登录失败次数过多" in response.content.decode()
    assert LoginFailure.objects.count() == 2  # a refused attempt is not a new failure


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_guesses_get_no_more_tries_than_the_limit(postgres_only, settings):
    import threading

    from django.db import connections
    from django.test import Client

    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_MAX_FAILURES = 3
    UserFactory(username="target")
    barrier, outcomes = threading.Barrier(8), []

    def guess():
        try:
            barrier.wait()
            page = Client().post(reverse("login"), {"username": "target", "password": "x"})
            outcomes.append("throttled" if "登录失败次数过多" in page.content.decode() else "tried")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["throttled"] * 5 + ["tried"] * 3


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit(postgres_only):
    """JIT compiled the tree query for 390 of its 476 ms; every connection turns it off."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
