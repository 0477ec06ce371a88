"""Benchmark: how many wrong passwords two web processes accept before the throttle.

Starts two gunicorn processes (one worker each, DEBUG off, no cache configured:
as if Redis were down) on two ports against one scratch database, then posts
wrong passwords for one account alternately to each and counts the guesses
that were checked before the first "登录失败次数过多". With a count kept in one
process's memory the answer would be twice the limit; the goal is the limit.

    .venv/bin/python benchmarks/login_throttle.py [--postgres] [--guesses N]

SQLite in a temporary file by default; with ``--postgres`` the scratch database
``bench_login`` on ``BENCH_PG_URL`` (default postgresql://root@127.0.0.1:5432).
It prints figures; it asserts nothing.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
PORTS = (8761, 8762)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--guesses", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            import psycopg2

            admin = psycopg2.connect(f"{PG_URL}/postgres")
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute("DROP DATABASE IF EXISTS bench_login")
                cursor.execute("CREATE DATABASE bench_login")
            database = f"{PG_URL}/bench_login"
        else:
            database = f"sqlite:///{folder}/login.sqlite3"
        env = os.environ | {
            "DATABASE_URL": database,
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "LOGIN_MAX_FAILURES": "5",
            "STATIC_ROOT": f"{folder}/static",
        }
        env.pop("CACHE_URL", None)
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [python, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        subprocess.run(
            [python, "manage.py", "shell", "-c",
             "from django.contrib.auth.models import User; "
             "User.objects.create_user('target', password='right-password-2010')"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        servers = [
            subprocess.Popen(
                [
                    str(Path(python).parent / "gunicorn"),
                    "config.wsgi",
                    "-w",
                    "1",
                    "-b",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
            )  # fmt: skip
            for port in PORTS
        ]
        try:
            for port in PORTS:
                _wait(port)
            checked, first_refusal = 0, None
            for n in range(args.guesses):
                port = PORTS[n % 2]
                if _guess(port) == "refused":
                    first_refusal = first_refusal or n + 1
                else:
                    checked += 1
            print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; no cache configured")
            print("web processes: 2 (gunicorn, DEBUG off), LOGIN_MAX_FAILURES = 5")
            print(f"wrong passwords checked before the throttle: {checked} of {args.guesses}")
            print(f"first refused guess: #{first_refusal}")
        finally:
            for server in servers:
                server.terminate()
                server.wait()
            if args.postgres:
                with admin.cursor() as cursor:
                    cursor.execute("DROP DATABASE IF EXISTS bench_login")


def _wait(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on {port} did not start")


def _guess(port: int) -> str:
    """One wrong password through the login form, with its own CSRF token. The
    cookie is sent by hand: with DEBUG off it is marked Secure, and this is plain HTTP."""
    url = f"http://127.0.0.1:{port}/login/"
    with urllib.request.urlopen(url) as response:
        page = response.read().decode()
        cookie = next(
            value.split(";", 1)[0]
            for name, value in response.getheaders()
            if name.lower() == "set-cookie" and value.startswith("csrftoken=")
        )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "target", "password": "wrong"}
    ).encode()
    request = urllib.request.Request(url, data=data, headers={"Referer": url, "Cookie": cookie})
    with urllib.request.urlopen(request) as response:
        answer = response.read().decode()
    return "refused" if "登录失败次数过多" in answer else "checked"


if __name__ == "__main__":
    main()
