"""The product's own Chinese error pages, and `make run` serving them with DEBUG off."""

import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import include, path

ROOT = Path(__file__).resolve().parents[2]


def _boom(request):
    raise RuntimeError("the database fell over")


def _forbidden(request):
    raise PermissionDenied("您没有修改此党组织的权限")


# The site's own addresses too: the error pages extend the base page, which links them.
urlpatterns = [
    path("boom/", _boom),
    path("forbidden/", _forbidden),
    path("", include("config.urls")),
]


@pytest.mark.django_db
def test_a_missing_page_is_the_products_chinese_404(client, district):
    client.force_login(district.users["secretary"])
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "未找到" in page and "不在您的管辖范围内" in page
    assert "实施方案" in page  # the product's menu: it extends the base page
    assert "Page not found" not in page


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_refusal_is_the_products_403_with_its_reason(client, district):
    client.force_login(district.users["secretary"])
    response = client.get("/forbidden/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "没有权限" in page and "您没有修改此党组织的权限" in page


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_is_the_standalone_chinese_500():
    response = Client(raise_request_exception=False).get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "系统错误" in page and "返回首页" in page
    assert "the database fell over" not in page and "Traceback" not in page
    assert "/static/" not in page  # standalone: renders when static files are what broke


@pytest.mark.django_db
def test_a_failed_csrf_check_says_what_to_do_in_chinese(district):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "secretary", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期" in page and "刷新页面" in page and "CSRF verification failed" not in page


def _make_run_environment(debug: str | None = None) -> dict[str, str]:
    """The variables `make run` sets for runserver (read from `make -n run`)."""
    args = ["make", "-n", "run"] + ([f"DEBUG={debug}"] if debug is not None else [])
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    out = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, check=True, env=environment
    ).stdout
    line = next(line for line in out.splitlines() if "manage.py runserver" in line)
    assert "127.0.0.1:" in line
    words = shlex.split(line.split(".venv/bin/python", 1)[0].replace("$(cat var/secret_key)", "k"))
    return dict(word.split("=", 1) for word in words)


def test_make_run_leaves_debug_off_unless_asked():
    assert _make_run_environment()["DEBUG"] == "false"
    assert _make_run_environment("true")["DEBUG"] == "true"


def test_make_run_serves_error_pages_and_static_files_without_debug(tmp_path):
    """With make run's environment: DEBUG off, the 404 is ours, the stylesheet is
    served (WhiteNoise, from the collected files), and cookies work over plain HTTP."""
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment |= _make_run_environment() | {
        "SECRET_KEY": "a-test-only-secret-key-" + "x" * 40,
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    script = textwrap.dedent(
        """
        import re, django
        from django.conf import settings
        from django.core.management import call_command
        django.setup()
        call_command("collectstatic", interactive=False, verbosity=0)
        from django.test import Client
        client = Client(HTTP_HOST="127.0.0.1")
        print("DEBUG", settings.DEBUG, "SECURE", settings.SESSION_COOKIE_SECURE)
        login = client.get("/login/")
        print("LOGIN", login.status_code)
        css = re.search(r'href="(/static/css/app[^"]*)"', login.content.decode()).group(1)
        print("CSS", client.get(css).status_code, css)
        missing = client.get("/no-such-page/")
        print("404", missing.status_code, "未找到" in missing.content.decode())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "DEBUG False SECURE False" in out
    assert "LOGIN 200" in out
    assert re.search(r"CSS 200 /static/css/app\.[0-9a-f]{12}\.css", out)  # hashed, collected
    assert "404 404 True" in out
