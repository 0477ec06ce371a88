"""Benchmark: the campaign office's pages at district and city size, side by side.

Issue 9 §7. For each size it builds a scratch PostgreSQL database:

* district: ``orgs.demo.generate`` at 3,564 organisations / 76,600 members;
* city: ``orgs.demo.generate_city``, five such districts under a city committee,
  16,800 organisations / 360,000 members;

loaded through the importers (as ``seed_demo`` does: tree numbering, COPY,
stored tallies), the Licheng campaign on the root (``load_campaign``), plans for
60 % of the units that should file one (accepted, submitted, returned, draft),
and pledges (one per branch to the public, one for every third member), written
in bulk and then recounted into the stored tallies, then ``ANALYZE``. The user
is the campaign office (a ``campaign_office`` grant on the root). Pages:

* ``tree`` — the office's tree page (``/orgs/``) and ``children``, the root's
  children as the page loads them by htmx;
* ``org`` — the root's organisation page;
* ``dashboard`` — the root's 工作进度;
* ``members`` — the member list deep in the list: the page holding rows
  2,451–2,500 (what ``?page=50`` showed), reached as the pager reaches it.

Per page and size it prints: queries per request; in-process time (Django test
client, DEBUG off, ``--requests`` requests after a warm-up: p50 / p95); then
through gunicorn (2 sync workers, DEBUG off, on 127.0.0.1): serial p95 over
``--requests`` requests on one keep-alive connection, and ``wrk -t2 -c10
-d<--seconds>`` req/s with its p50 / p99 latency. Without ``wrk`` on the PATH
(``apt-get install wrk``; ``make bench-pages`` installs it) a Python driver of
10 keep-alive connections in threads stands in, and the output says so.
Targets (issue 9): p95 ≤ 150 ms and ≥ 50 req/s; query counts equal at both sizes.

    .venv/bin/python benchmarks/pages.py [--sizes district,city] [--requests 40] [--seconds 10] [--reuse]

``--reuse`` keeps a scratch database that already holds its size (``bench_pages_<size>``
on ``BENCH_PG_URL``, default postgresql://root@127.0.0.1:5432); without it each
is dropped and rebuilt (city: about 2 minutes). Other load on the machine slows
every figure: the load average is printed before and after. It asserts nothing.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import _child

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
SIZES = {
    "district": {"organizations": 3564, "members": 76600},
    "city": {"organizations": 16800, "members": 360000},
}
# The scratch databases' names: bench_pages_<size> (benchmarks/dashboard.py uses its own).
DB_PREFIX = os.environ.get("BENCH_PAGES_DB", "bench_pages")
P95_MS = 150
RATE = 50
PRODUCTION_LIKE = {
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-not-a-secret",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    # DEBUG off serves hashed static files from the manifest: collected once here.
    "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "bench_pages_static"),
}
PAGE_NAMES = ["tree", "children", "org", "dashboard", "members"]
DEEP_ROW = 2450  # rows before the deep member-list page (page 50 of 50)


def db_url(size: str) -> str:
    return f"{PG_URL}/{DB_PREFIX}_{size}"


def _setup_django(size: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(PRODUCTION_LIKE)
    os.environ["DATABASE_URL"] = db_url(size)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# ----------------------------------------------------------------- the workers


def worker_load(spec: dict) -> dict:
    """Migrate and fill the scratch database of one size."""
    _setup_django(spec["size"])
    import random

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from campaign.models import Campaign, Plan
    from campaign.selectors import plan_units_q
    from core import audit
    from core.tabular import Table
    from orgs import demo, tallies
    from orgs.importers import import_members, import_organizations
    from orgs.models import Member, Organization, Role, RoleGrant
    from pledges.models import Pledge

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if spec["size"] == "city":
        data, root_code = demo.generate_city(**SIZES["city"]), demo.CITY_CODE
    else:
        data, root_code = demo.generate(**SIZES["district"]), demo.ROOT_CODE
    with audit.acting(None, audit.Source.COMMAND):
        for headers, rows, run in (
            (demo.ORG_HEADERS, data.organizations, import_organizations),
            (demo.MEMBER_HEADERS, data.members, import_members),
        ):
            report = run(Table(headers=headers, rows=rows), user=None, dry_run=False)
            assert report.ok, report.errors[:3]
    del data
    with open(os.devnull, "w") as quiet:
        call_command("load_campaign", "licheng", root=root_code, stdout=quiet)
    campaign = Campaign.objects.get(organization__code=root_code)
    rng = random.Random(2010)
    plans = []
    for pk in Organization.objects.filter(plan_units_q(campaign)).values_list("pk", flat=True):
        r = rng.random()
        state = (
            "accepted" if r < 0.3 else "submitted" if r < 0.45 else "returned" if r < 0.5 else None
        )
        state = state or ("draft" if r < 0.6 else None)
        if state:
            plans.append(
                Plan(
                    campaign=campaign,
                    organization_id=pk,
                    state=state,
                    theme="践行宗旨 服务群众",
                    return_reason="请补充创建条件" if state == "returned" else "",
                )
            )
    Plan.objects.bulk_create(plans, batch_size=2000)
    pledges = [
        Pledge(
            campaign=campaign,
            organization_id=pk,
            audience="public",
            state="published",
            published_revision=1,
            outcome="honoured" if pk % 3 == 0 else "",
        )
        for pk in Organization.objects.filter(kind="branch").values_list("pk", flat=True)
    ]
    members = Member.objects.order_by("pk").values_list("pk", "organization_id")
    for pk, organization_id in members.iterator(chunk_size=20000):
        if pk % 3 == 0:
            published = pk % 2 == 0
            pledges.append(
                Pledge(
                    campaign=campaign,
                    organization_id=organization_id,
                    member_id=pk,
                    audience="organization",
                    state="published" if published else "submitted",
                    published_revision=1 if published else 0,
                    outcome="honoured" if published and pk % 4 == 0 else "",
                )
            )
    Pledge.objects.bulk_create(pledges, batch_size=5000)
    tallies.recount(["plans", "pledges"])  # a bulk path keeps the stored counts
    root = Organization.objects.get(code=root_code)
    office = get_user_model().objects.create_user("bench_office", "", "bench-password-1")
    RoleGrant.objects.create(user=office, organization=root, role=Role.CAMPAIGN_OFFICE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "plans": len(plans),
        "pledges": len(pledges),
        "seconds": time.perf_counter() - started,
    }


def _urls(root_pk: int) -> dict[str, str]:
    """The page URLs, the deep member page found as the list's pager finds it."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench_office"))
    url = "/orgs/members/"
    pages = 1
    while pages < 50:  # follow 下一页 49 times, as a user (or a crawler) would
        response = client.get(url)
        found = re.search(r'href="(\?[^"]*)"[^>]*>下一页', response.content.decode())
        if not found:
            break
        url = "/orgs/members/" + found.group(1).replace("&amp;", "&")
        pages += 1
    return {
        "tree": "/orgs/",
        "children": f"/orgs/{root_pk}/children/",
        "org": f"/orgs/{root_pk}/",
        "dashboard": f"/campaign/dashboard/{root_pk}/",
        "members": url,
    }


def worker_inprocess(spec: dict) -> dict:
    """Queries and in-process time of each page (Django's test client, DEBUG off)."""
    _setup_django(spec["size"])
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test import Client

    from orgs.models import Organization

    root = Organization.objects.get(parent__isnull=True)
    urls = _urls(root.pk)
    office = get_user_model().objects.get(username="bench_office")
    client = Client()
    client.force_login(office)
    pages = {}
    for name, url in urls.items():
        for _ in range(3):
            client.get(url)
        captured: list[float] = []  # the time of each query of one request

        def timed(execute, sql, params, many, context, captured=captured):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                captured.append(time.perf_counter() - started)

        with connection.execute_wrapper(timed):
            response = client.get(url)
        times = []
        for _ in range(spec["requests"]):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        pages[name] = {
            "url": url,
            "status": response.status_code,
            "bytes": len(response.content),
            "queries": len(captured),
            "sql_ms": sum(captured) * 1000,
            "p50": statistics.median(times),
            "p95": _p95(times),
        }
    # A session for gunicorn's requests (what logging in leaves in the cookie).
    session = SessionStore()
    session["_auth_user_id"] = str(office.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = office.get_session_auth_hash()
    session.create()
    return {"pages": pages, "session": session.session_key}


WORKERS = {"load": worker_load, "inprocess": worker_inprocess}


def run_worker(op: str, **spec) -> dict:
    """Run one worker in a fresh interpreter and return what it reported."""
    return _child.run_worker(__file__, op, **spec)


# ---------------------------------------------------------------- measurements


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with 2 sync workers on a free loopback port; stopped by its own pid."""

    def __init__(self, size: str) -> None:
        self.port = _free_port()
        env = os.environ | PRODUCTION_LIKE | {"DATABASE_URL": db_url(size)}
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                connection = HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz/")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def serial(port: int, url: str, cookie: str, n: int) -> dict:
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}
    times, status = [], 0
    for i in range(n + 3):
        started = time.perf_counter()
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
        if i >= 3:
            times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return {"status": status, "p50": statistics.median(times), "p95": _p95(times)}


def load_wrk(port: int, url: str, cookie: str, seconds: int) -> dict:
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c10",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-H",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{port}{url}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rate": float(rate.group(1)) if rate else 0.0,
        "p50": latency("50"),
        "p99": latency("99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "driver": "wrk",
    }


def load_threads(port: int, url: str, cookie: str, seconds: int) -> dict:
    """What wrk -c10 measures, where wrk is missing: 10 keep-alive connections in threads."""
    stop_at = time.perf_counter() + seconds
    times: list[float] = []
    bad = [0]
    lock = threading.Lock()

    def run() -> None:
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            connection.request("GET", url, headers={"Cookie": cookie, "Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            with lock:
                times.append((time.perf_counter() - started) * 1000)
                bad[0] += response.status >= 400
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "rate": len(times) / seconds,
        "p50": statistics.median(times),
        "p99": sorted(times)[int(0.99 * (len(times) - 1))],
        "non_2xx": bad[0],
        "driver": "python threads (no wrk)",
    }


# ---------------------------------------------------------------- orchestration


def _database_ready(size: str) -> bool:
    import psycopg2

    try:
        with psycopg2.connect(db_url(size)) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM orgs_member")
            return cursor.fetchone()[0] == SIZES[size]["members"]
    except psycopg2.Error:
        return False


def _recreate(size: str) -> None:
    import psycopg2

    admin = psycopg2.connect(f"{PG_URL}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB_PREFIX}_{size} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB_PREFIX}_{size}")
    admin.close()


def _load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="district,city")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    sizes = [s for s in args.sizes.split(",") if s]
    print(f"load average before: {_load_average()}  (2 cores shared with other work)")
    driver = load_wrk if shutil.which("wrk") else load_threads
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=os.environ | PRODUCTION_LIKE | {"DATABASE_URL": db_url(sizes[0])},
        check=True,
    )
    results: dict[str, dict] = {}
    for size in sizes:
        if args.reuse and _database_ready(size):
            print(f"{size}: reusing bench_pages_{size}")
        else:
            _recreate(size)
            loaded = run_worker("load", size=size)
            print(
                f"{size}: {loaded['organizations']:,} organisations, {loaded['members']:,} members, "
                f"{loaded['plans']:,} plans, {loaded['pledges']:,} pledges "
                f"(loaded in {loaded['seconds']:.0f} s)"
            )
        measured = run_worker("inprocess", size=size, requests=args.requests)
        cookie = f"sessionid={measured['session']}"
        server = Gunicorn(size)
        try:
            for page in measured["pages"].values():
                page["serial"] = serial(server.port, page["url"], cookie, args.requests)
                page["load"] = driver(server.port, page["url"], cookie, args.seconds)
        finally:
            server.stop()
        results[size] = measured["pages"]

    print()
    print(f"load average after: {_load_average()}")
    print(
        "page       size      status queries  sql ms | in-process p50/p95 ms | "
        "gunicorn serial p50/p95 ms | -c10 req/s  p50/p99 ms | verdict"
    )
    for name in PAGE_NAMES:
        for size in sizes:
            page = results[size][name]
            serial_p95, rate = page["serial"]["p95"], page["load"]["rate"]
            verdict = (
                ("p95 met" if serial_p95 <= P95_MS else "p95 MISSED")
                + ", "
                + ("rate met" if rate >= RATE else "rate MISSED")
            )
            print(
                f"{name:<10} {size:<9} {page['status']:>6} {page['queries']:>7} "
                f"{page['sql_ms']:>7.1f} | {page['p50']:>8.1f} / {page['p95']:>7.1f}   | "
                f"{page['serial']['p50']:>10.1f} / {serial_p95:>7.1f}     | "
                f"{rate:>9.1f}  {page['load']['p50']:>5.0f} / {page['load']['p99']:>5.0f} | {verdict}"
            )
    flat = all(len({results[s][n]["queries"] for s in sizes}) == 1 for n in PAGE_NAMES)
    print(f"query counts equal at every size: {'yes' if flat else 'NO'}")
    drivers = {results[s][n]["load"]["driver"] for s in sizes for n in PAGE_NAMES}
    print(f"load driver: {', '.join(sorted(drivers))}, 10 connections, {args.seconds} s a page")
    print("deep member page: " + results[sizes[-1]]["members"]["url"])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_worker":
        spec = json.loads(sys.argv[2])
        outcome = WORKERS[spec["op"]](spec)
        Path(spec["result"]).write_text(json.dumps(outcome))
    else:
        main()
