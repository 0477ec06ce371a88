"""Issue 13 §5: nothing one process needs lives in another's memory.

Two gunicorn processes on two free ports and two Celery workers (prefork, one
child each) against one PostgreSQL database (this test's) and one Redis, as a
deployment behind a load balancer runs them: a login throttled through one web
process is throttled on the other, a session made on one is valid on the
other, a job started through one is done by either worker (and both take jobs
when several are queued), and a file made by a worker downloads through the
other web process. The web processes run with DEBUG off and no cache
configured (LocMem), so anything kept in a process's memory would show.

Runs in CI's PostgreSQL pass, where .ci/run sets TEST_CELERY_BROKER_URL; skipped
elsewhere. Every process it starts is stopped in a ``finally`` (and at exit).
"""

import atexit
import csv
import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAX_FAILURES = 3
PASSWORD = "Multi-Process-2010"

pytestmark = pytest.mark.multiprocess


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    auth = urllib.parse.quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Processes:
    """The processes a test started, each in its own session, with its output in a file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen] = {}
        atexit.register(self.stop)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        out = (self.folder / f"{name}.log").open("wb")
        self.running[name] = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()

    def tails(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.running)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One visitor: cookies shared across both ports, as behind one load balancer."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def request(self, port: int, path: str, data: dict | None = None):
        url = f"http://127.0.0.1:{port}{path}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"X-CSRFToken": self.cookie("csrftoken")} if data is not None else {}
        try:
            with self.opener.open(urllib.request.Request(url, body, headers), timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def login(self, port: int, username: str, password: str):
        status, _headers, page = self.request(port, "/login/")
        assert status == 200
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        return self.request(
            port,
            "/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )


def _wait(what, predicate, timeout: float, processes: Processes):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"{what} not within {timeout} s\n{processes.tails()}")


def _health(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return None


@pytest.fixture
def stack(transactional_db, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...): SQLite is one process's file")
    broker = os.environ.get("TEST_CELERY_BROKER_URL")
    if not broker:
        pytest.skip("TEST_CELERY_BROKER_URL is not set: no Redis for the workers")
    queue = f"mp-{uuid.uuid4().hex[:12]}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CACHE_URL", "S3_BUCKET", "DJANGO_SETTINGS_MODULE"}
    } | {
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE": queue,
        "DEBUG": "false",
        "SECRET_KEY": "multiprocess-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),  # one folder both workers and both webs reach
        "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_STALE_SECONDS": "10",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    processes = Processes(tmp_path)
    ports = (_free_port(), _free_port())
    try:
        for n, port in enumerate(ports, 1):
            processes.start(
                f"web{n}",
                [str(BIN / "gunicorn"), "config.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"],
                env,
            )
        yield {
            "ports": ports,
            "queue": queue,
            "broker": broker,
            "env": env,
            "processes": processes,
            "media": tmp_path / "media",
        }
    finally:
        processes.stop()


def _start_workers(stack) -> tuple[str, str]:
    names = (f"w1-{stack['queue']}@mp", f"w2-{stack['queue']}@mp")
    for n, name in enumerate(names, 1):
        stack["processes"].start(
            f"worker{n}",
            [str(BIN / "celery"), "-A", "config", "worker", "-P", "prefork", "-c", "1",
             "-n", name, "-Q", stack["queue"], "-I", "tests.multiprocess_kinds",
             "--without-gossip", "--without-mingle", "-l", "INFO"],
            stack["env"],
        )  # fmt: skip
    return names


def test_two_web_processes_and_two_workers_share_everything(stack, district, settings):
    from config.celery import app
    from core.jobs import job_start
    from core.models import Job, WorkerBeat
    from tests import multiprocess_kinds  # noqa: F401  (registers mp_sleep here too)
    from tests.conftest import use_broker

    a, b = stack["ports"]
    processes = stack["processes"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    for name in ("secretary", "office"):
        user = district.users[name]
        user.set_password(PASSWORD)
        user.save()

    # Both web processes answer; with no worker yet the health check says so.
    for port in (a, b):
        status, body = _wait(f"web on {port}", lambda p=port: _health(p), 60, processes)
        assert status == 503 and body["status"] == "unhealthy"
        assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
        assert not body["checks"]["worker"]["ok"]

    names = _start_workers(stack)
    _wait(
        "both workers' heartbeats",
        lambda: set(WorkerBeat.objects.values_list("name", flat=True)) >= set(names),
        90,
        processes,
    )
    for port in (a, b):
        _wait(f"healthy on {port}", lambda p=port: (_health(p) or (0,))[0] == 200, 30, processes)
        status, body = _health(port)
        assert body["checks"]["worker"] == {"ok": True, "detail": "2 alive"}

    # The login throttle: failures through A and B count together.
    guesser = Browser()
    for n in range(MAX_FAILURES):
        status, _h, page = guesser.login((a, b)[n % 2], "secretary", "wrong-password")
        assert status == 200 and "登录失败次数过多" not in page.decode(), n
    for port in (a, b):
        status, _h, page = guesser.login(port, "secretary", PASSWORD)
        assert status == 200 and "登录失败次数过多" in page.decode(), port

    # A session made through A is valid on B.
    office = Browser()
    status, headers, _page = office.login(a, "office", PASSWORD)
    assert status == 302, processes.tails()
    status, _h, page = office.request(b, "/")
    assert status == 200, "B sent the visitor to the login page"

    # An export started through A is done by a worker; its file downloads through B.
    status, headers, _page = office.request(a, "/orgs/export/organizations.csv", {})
    assert status == 302, _page[:500]
    pk = int(re.search(r"/jobs/(\d+)/", headers["Location"]).group(1))
    job = _wait(
        "the export",
        lambda: Job.objects.filter(pk=pk, status__in=["succeeded", "failed"]).first(),
        60,
        processes,
    )
    assert job.status == "succeeded", job.error
    assert job.worker in names
    status, headers, data = office.request(b, f"/jobs/{pk}/download/")
    assert status == 200
    assert data == (stack["media"] / job.output_file.name).read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert any("中共测试区委" in row for row in rows)

    # Several jobs queued at once: both workers take some (each holds one at a time).
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    use_broker(
        app, broker_url=stack["broker"], task_always_eager=False, task_default_queue=stack["queue"]
    )
    try:
        with transaction.atomic():
            batch = [
                job_start(kind="mp_sleep", user=None, params={"seconds": 1.5}).pk for _ in range(4)
            ]
    finally:
        use_broker(app, **saved)
    done = _wait(
        "the batch",
        lambda: Job.objects.filter(pk__in=batch, status="succeeded").count() == 4,
        90,
        processes,
    )
    assert done
    ran = Job.objects.filter(pk__in=batch)
    assert set(ran.values_list("worker", flat=True)) == set(names)
    assert len({job.result["pid"] for job in ran}) >= 2  # two processes, not one

    # The workers log each job as JSON lines with its id, kind and state.
    logged = [
        json.loads(line)
        for name in ("worker1", "worker2")
        for line in processes.log(name).splitlines()
        if line.startswith("{")
    ]
    assert any(
        entry.get("job_id") == pk
        and entry.get("job_kind") == "export"
        and entry.get("job_state") == "succeeded"
        for entry in logged
    ), logged[-20:]
