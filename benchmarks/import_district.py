"""Benchmark: importing a whole district (4,000 organisations, 75,000 members) into PostgreSQL.

What it measures, each import in a fresh subprocess so that its peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is that import's own:

* organisations from XLSX and from CSV (each into an empty tree), and a
  re-import of the organisations CSV that should change nothing;
* members from XLSX and from CSV (members truncated before each, organisations
  kept), dry runs of both member files against an empty roll, and a re-import
  of the same members CSV that should create or update nothing;
* a reference: the same member rows written with PostgreSQL ``COPY`` from an
  in-memory CSV (organisation ids and choice values resolved and the buffer
  built before the clock starts; commit included), so each member import is
  also shown as a fraction of the raw write speed (import rows/s ÷ COPY rows/s);
* query counts and times of the tree page, one street's children, the member
  list and its page 50, for a superuser and for a committee-staff user (a
  ``committee_staff`` grant on one 党工委), on the small demo district
  (300 / 5,000) and on the big one (4,000 / 75,000), side by side.

Each import goes through the code path of the ``import_orgs`` /
``import_members`` commands: ``Path.read_bytes`` → ``core.tabular.read_table``
→ ``orgs.importers.import_*(table, user=None, dry_run=...)``. The clock covers
reading and parsing the file, all validation and the writes up to the commit;
not the interpreter's and Django's start-up. The only addition is a
``progress`` callback that notes the time of each phase (validate, compare,
write), so the table can say where the time goes.

Every case runs ``--repeat`` times (default 3); the table shows the median run
and the spread. It prints figures and a met/missed verdict for each target of
the issue; it asserts nothing about speed. Other work on the machine slows
everything down: the load average is printed before and after.

    .venv/bin/python benchmarks/import_district.py [--repeat N]

The scratch database (``bench_import`` on ``BENCH_PG_URL``, default
``postgresql://root@127.0.0.1:5432``) is dropped and re-created for each
district and dropped at the end.
"""

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _child

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
SCRATCH_DB = "bench_import"
SCRATCH_URL = f"{PG_URL}/{SCRATCH_DB}"

BIG = (4000, 75000)
SMALL = (300, 5000)
STREET_CODE = "MH-JD01"  # the 党工委 the committee-staff user is granted; its children are loaded

# Targets from the issue.
ORG_SECONDS = 2.0
MEMBER_RATE = {"xlsx": 10_000, "csv": 20_000}
PEAK_RSS_MB = 400

# The progress messages of orgs.importers that open each phase.
PHASES = {"validate": "正在校验", "compare": "正在比对", "write": "正在写入"}
PRODUCTION_LIKE = {"DEBUG": "false", "SECRET_KEY": "benchmark-only", "SECURE_SSL_REDIRECT": "false"}


# ----------------------------------------------------------------- the workers
# Each runs in a process of its own: ``import_district.py _worker '<json spec>'``.


def _setup_django(**env: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = SCRATCH_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update(env)
    import django

    django.setup()


def _rss_now_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker_migrate(spec: dict) -> dict:
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return {}


def worker_import(spec: dict) -> dict:
    """One import, as ``manage.py import_orgs|import_members [--dry-run] PATH`` runs it."""
    _setup_django(**PRODUCTION_LIKE)  # no DEBUG query log
    from core.tabular import read_table
    from orgs.importers import import_members, import_organizations

    importer = import_organizations if spec["kind"] == "organizations" else import_members
    file = Path(spec["path"])
    stamps: dict[str, float] = {}

    def progress(percent: int, message: str) -> None:
        stamps.setdefault(message, time.perf_counter())

    rss_before = _rss_now_mb()
    started = time.perf_counter()
    table = read_table(file.read_bytes(), file.name)
    parsed = time.perf_counter()
    failed = None
    try:
        report = importer(table, user=None, dry_run=spec["dry_run"], progress=progress)
    except Exception as exc:  # shown in the table; the run goes on
        failed = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finished = time.perf_counter()
    compare = stamps.get(PHASES["compare"], finished)
    write = stamps.get(PHASES["write"], finished)
    result = {
        "rows": len(table.rows),
        "seconds": finished - started,
        "phases": {
            "parse": parsed - started,
            "validate": compare - parsed,
            "compare": write - compare,
            "write": finished - write,  # the commit included
        },
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }
    if failed:
        return result | {"failed": failed}
    return result | {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "errors": [str(e) for e in report.errors[:3]],
        "error_count": len(report.errors),
    }


def worker_copy(spec: dict) -> dict:
    """The member rows written with COPY: the raw write speed the imports are compared to."""
    _setup_django(**PRODUCTION_LIKE)
    import io

    from django.db import connection, transaction
    from django.utils import timezone

    from orgs.models import Member, Organization

    rss_before = _rss_now_mb()
    with open(spec["path"], encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    org_ids = dict(Organization.objects.values_list("code", "pk"))
    genders = {str(label): value for value, label in Member.Gender.choices}
    categories = {str(label): value for value, label in Member.Category.choices}
    stamp = timezone.now().isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, name, gender, birth, joined, category, org_code, post, mobile in rows:
        writer.writerow(
            [
                number,
                name,
                genders[gender],
                birth,
                joined,
                categories[category],
                org_ids[org_code],
                post,
                mobile,
                "f",
                "f",
                stamp,
                stamp,
            ]
        )
    fields = [
        "number",
        "name",
        "gender",
        "birth_date",
        "joined_on",
        "category",
        "organization",
        "post",
        "mobile",
        "is_leading_cadre",
        "is_party_worker",
        "created_at",
        "updated_at",
    ]
    column_list = ", ".join(Member._meta.get_field(f).column for f in fields)
    # In CSV format an unquoted empty field means NULL; post and mobile are NOT NULL, may be blank.
    sql = (
        f"COPY {Member._meta.db_table} ({column_list}) FROM STDIN "
        "WITH (FORMAT csv, FORCE_NOT_NULL (post, mobile))"
    )
    buffer.seek(0)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, buffer)
    seconds = time.perf_counter() - started
    return {
        "rows": len(rows),
        "seconds": seconds,
        "loaded": Member.objects.count(),
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def worker_queries(spec: dict) -> dict:
    """Queries per page for a superuser and a committee-staff user (second request counted)."""
    _setup_django(ALLOWED_HOSTS="testserver,127.0.0.1,localhost")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orgs.models import Organization, Role, RoleGrant

    User = get_user_model()
    street = Organization.objects.get(code=STREET_CODE)
    admin = User.objects.create_superuser("bench_admin", "", "bench-password-1")
    staff = User.objects.create_user("bench_committee", "", "bench-password-1")
    RoleGrant.objects.create(user=staff, organization=street, role=Role.COMMITTEE_STAFF)
    urls = ["/orgs/", f"/orgs/{street.pk}/children/", "/orgs/members/", "/orgs/members/?page=50"]
    pages = []
    for label, user in (("superuser", admin), ("committee_staff", staff)):
        client = Client()
        client.force_login(user)
        for url in urls:
            client.get(url)  # warm-up: one-off caches are not what grows with size
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                ms = (time.perf_counter() - started) * 1000
            pages.append(
                {
                    "user": label,
                    "url": url.replace(f"/{street.pk}/", "/<street>/"),
                    "status": response.status_code,
                    "queries": len(captured),
                    "ms": ms,
                }
            )
    return {"pages": pages}


WORKERS = {
    "migrate": worker_migrate,
    "import": worker_import,
    "copy": worker_copy,
    "queries": worker_queries,
}


def run_worker(op: str, **spec) -> dict:
    """Run one worker in a fresh interpreter and return what it reported."""
    return _child.run_worker(__file__, op, **spec)


# ---------------------------------------------------------------- orchestration


class Scratch:
    """The scratch database, driven with psycopg2 alone (Django lives in the workers)."""

    def __init__(self) -> None:
        import psycopg2

        self._connect = psycopg2.connect
        self.admin = psycopg2.connect(f"{PG_URL}/postgres")
        self.admin.autocommit = True
        self.conn = None

    def recreate(self) -> None:
        self.close()
        with self.admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {SCRATCH_DB}")
        run_worker("migrate")
        self.conn = self._connect(SCRATCH_URL)
        self.conn.autocommit = True

    def execute(self, sql: str) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute(sql)

    def count(self, table: str) -> int:
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")
            return cursor.fetchone()[0]

    def server_version(self) -> str:
        with self.admin.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def drop(self) -> None:
        self.close()
        with self.admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        self.admin.close()


def write_files(folder: Path, prefix: str, organizations: int, members: int) -> dict[str, Path]:
    """The generated district as XLSX (openpyxl write-only) and UTF-8 CSV, all cells text."""
    from openpyxl import Workbook

    from orgs import demo

    district = demo.generate(organizations=organizations, members=members)
    paths = {}
    for kind, headers, rows in (
        ("orgs", demo.ORG_HEADERS, district.organizations),
        ("members", demo.MEMBER_HEADERS, district.members),
    ):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=kind)
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        paths[f"{kind}_xlsx"] = folder / f"{prefix}_{kind}.xlsx"
        workbook.save(paths[f"{kind}_xlsx"])
        paths[f"{kind}_csv"] = folder / f"{prefix}_{kind}.csv"
        with open(paths[f"{kind}_csv"], "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows(rows)
    return paths


def outcome(result: dict) -> str:
    if "failed" in result:
        return f"FAILED {result['failed']}"
    text = f"+{result['created']} ~{result['updated']} ={result['unchanged']}"
    if result["error_count"]:
        return text + f" {result['error_count']} errors: {result['errors'][:2]}"
    return text


def load_small_and_count_queries(scratch: Scratch, folder: Path) -> tuple[dict, list[str]]:
    paths = write_files(folder, "small", *SMALL)
    scratch.recreate()
    notes = []
    for kind, key in (("organizations", "orgs_csv"), ("members", "members_csv")):
        result = run_worker("import", kind=kind, path=str(paths[key]), dry_run=False)
        if "failed" in result or result["error_count"]:
            if kind == "organizations":
                raise SystemExit(f"small district: organisations did not import: {outcome(result)}")
            notes.append(f"small district: members import {outcome(result)}; loaded with COPY")
            scratch.execute("TRUNCATE orgs_member CASCADE")
            run_worker("copy", path=str(paths[key]))
    return run_worker("queries"), notes


def run_big(scratch: Scratch, folder: Path, repeat: int) -> tuple[list[dict], dict, dict]:
    paths = write_files(folder, "big", *BIG)
    sizes = {key: path.stat().st_size for key, path in paths.items()}
    scratch.recreate()
    cases: list[dict] = []
    n_orgs, n_members = BIG

    def measure(case, kind, key, *, before=None, dry_run=False, expect) -> None:
        runs = []
        for _ in range(repeat):
            if before:
                scratch.execute(before)
            runs.append(run_worker("import", kind=kind, path=str(paths[key]), dry_run=dry_run))
        runs.sort(key=lambda r: r["seconds"])
        result = dict(runs[len(runs) // 2])  # the median run
        failures = [r for r in runs if "failed" in r]
        if failures:
            result = failures[0]
        result.update(
            case=case,
            kind=kind,
            fmt=key.rsplit("_", 1)[1],
            spread=(runs[0]["seconds"], runs[-1]["seconds"]),
            peak_rss_mb=max(r["peak_rss_mb"] for r in runs),
        )
        result["expected_ok"] = (
            not failures
            and not result["error_count"]
            and all(result[k] == v for k, v in expect.items())
        )
        cases.append(result)
        print(f"  {case:<38} {result['seconds']:6.2f} s  {outcome(result)}", flush=True)

    empty_tree = "TRUNCATE orgs_organization CASCADE"
    empty_roll = "TRUNCATE orgs_member CASCADE"
    new_orgs = {"created": n_orgs, "updated": 0}
    new_members = {"created": n_members, "updated": 0}
    measure("organisations XLSX", "organizations", "orgs_xlsx", before=empty_tree, expect=new_orgs)
    measure("organisations CSV", "organizations", "orgs_csv", before=empty_tree, expect=new_orgs)
    measure(
        "organisations CSV re-import, no change",
        "organizations",
        "orgs_csv",
        expect={"created": 0, "updated": 0, "unchanged": n_orgs},
    )

    copies = []
    for _ in range(repeat):
        scratch.execute(empty_roll)
        copies.append(run_worker("copy", path=str(paths["members_csv"])))
    copy_seconds = statistics.median(c["seconds"] for c in copies)
    copy = {
        "rows": copies[0]["rows"],
        "seconds": copy_seconds,
        "spread": (min(c["seconds"] for c in copies), max(c["seconds"] for c in copies)),
        "rate": copies[0]["rows"] / copy_seconds,
        "rss_before_mb": copies[0]["rss_before_mb"],
        "peak_rss_mb": max(c["peak_rss_mb"] for c in copies),
        "loaded": copies[-1]["loaded"],
    }
    print(f"  {'COPY reference':<38} {copy_seconds:6.2f} s  loaded {copy['loaded']:,}")

    measure("members XLSX", "members", "members_xlsx", before=empty_roll, expect=new_members)
    measure(
        "members XLSX --dry-run",
        "members",
        "members_xlsx",
        before=empty_roll,
        dry_run=True,
        expect=new_members,
    )
    measure(
        "members CSV --dry-run",
        "members",
        "members_csv",
        before=empty_roll,
        dry_run=True,
        expect=new_members,
    )
    measure("members CSV", "members", "members_csv", before=empty_roll, expect=new_members)
    measure(
        "members CSV re-import, no change",
        "members",
        "members_csv",
        expect={"created": 0, "updated": 0, "unchanged": n_members},
    )
    counts = {table: scratch.count(table) for table in ("orgs_organization", "orgs_member")}
    notes = []
    if counts["orgs_member"] != n_members:  # the imports failed; the pages still need a roll
        scratch.execute(empty_roll)
        run_worker("copy", path=str(paths["members_csv"]))
        notes.append(
            f"big district: {counts['orgs_member']:,} members after the imports; "
            "loaded with COPY for the query counts"
        )
    queries = run_worker("queries")
    return cases, {"copy": copy, "sizes": sizes, "counts": counts, "notes": notes}, queries


# ---------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def load_average() -> str:
    one, five, _ = os.getloadavg()
    busy = " (other work is running: figures are pessimistic)" if one > 0.5 * os.cpu_count() else ""
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min) on {os.cpu_count()} CPUs{busy}"


def print_report(
    cases: list[dict], extra: dict, small_q: dict, big_q: dict, notes: list[str], repeat: int
) -> None:
    copy = extra["copy"]
    print()
    print(
        "Files: "
        + ", ".join(f"{k} {v / 1024 / 1024:.1f} MB" for k, v in sorted(extra["sizes"].items()))
    )
    print()
    header = (
        f"{'case':<38} {'rows':>6} {'parse':>6} {'valid.':>6} {'compare':>7} {'write':>6} "
        f"{'seconds':>7} {'min–max':>11} {'rows/s':>7} {'÷COPY':>6} {'RSS0':>5} {'peak MB':>7}"
        "  result"
    )
    print(header)
    print("-" * len(header))
    for c in cases:
        rate = c["rows"] / c["seconds"]
        shown_rate, ratio = f"{rate:,.0f}", f"{rate / copy['rate']:.2f}"
        if "failed" in c:
            shown_rate = ratio = "—"
        elif c["kind"] == "organizations":
            ratio = "—"
        result = outcome(c)
        if not c["expected_ok"] and "failed" not in c and not c["error_count"]:
            result += " (unexpected counts)"
        p = c["phases"]
        print(
            f"{c['case']:<38} {c['rows']:>6,} {p['parse']:>6.2f} {p['validate']:>6.2f} "
            f"{p['compare']:>7.2f} {p['write']:>6.2f} {c['seconds']:>7.2f} "
            f"{c['spread'][0]:>5.2f}–{c['spread'][1]:<5.2f} {shown_rate:>7} {ratio:>6} "
            f"{c['rss_before_mb']:>5.0f} {c['peak_rss_mb']:>7.0f}  {result}"
        )
    print(
        f"{'COPY reference':<38} {copy['rows']:>6,} {'':>6} {'':>6} {'':>7} {'':>6} "
        f"{copy['seconds']:>7.2f} {copy['spread'][0]:>5.2f}–{copy['spread'][1]:<5.2f} "
        f"{copy['rate']:>7,.0f} {1:>6.2f} {copy['rss_before_mb']:>5.0f} {copy['peak_rss_mb']:>7.0f}"
        f"  loaded {copy['loaded']:,}"
    )
    print(
        f"Seconds: median of {repeat} runs (min–max beside it), from reading the file to the "
        "commit; parse + valid. +\ncompare + write = seconds (write includes the commit). "
        "÷COPY = rows/s ÷ COPY rows/s. RSS0 = resident MiB\nafter Django start-up; "
        "peak MB = ru_maxrss of the import's own process, highest of the runs (MiB)."
    )
    print(f"Rows in the scratch DB after the imports: {extra['counts']}")
    for note in notes:
        print(f"Note: {note}")

    print()
    print(
        f"Queries per request (second request of each; small {SMALL[0]}/{SMALL[1]:,} vs big "
        f"{BIG[0]:,}/{BIG[1]:,}; <street> = {STREET_CODE}):"
    )
    qheader = (
        f"{'user':<16} {'page':<24} {'small q':>7} {'big q':>6} {'small ms':>9} {'big ms':>8}"
        "  grows?"
    )
    print(qheader)
    print("-" * len(qheader))
    big_pages = {(p["user"], p["url"]): p for p in big_q["pages"]}
    query_ok = True
    for s in small_q["pages"]:
        b = big_pages[(s["user"], s["url"])]
        grows = b["queries"] > s["queries"]
        bad_status = s["status"] != 200 or b["status"] != 200
        query_ok = query_ok and not grows and not bad_status
        status = f" (HTTP {s['status']}/{b['status']})" if bad_status else ""
        print(
            f"{s['user']:<16} {s['url']:<24} {s['queries']:>7} {b['queries']:>6} "
            f"{s['ms']:>9.1f} {b['ms']:>8.1f}  {'YES' if grows else 'no'}{status}"
        )

    print()
    print("Targets (from the issue), on the median run:")
    for c in cases:
        if "failed" in c:
            print(f"  {'MISSED':<6} {c['case']}: the import failed ({c['failed'][:60]}…)")
        elif c["kind"] == "organizations":
            print(
                f"  {verdict(c['seconds'] <= ORG_SECONDS):<6} {c['case']}: "
                f"{c['seconds']:.2f} s (target ≤ {ORG_SECONDS:.0f} s)"
            )
        else:
            rate, target = c["rows"] / c["seconds"], MEMBER_RATE[c["fmt"]]
            print(
                f"  {verdict(rate >= target):<6} {c['case']}: {rate:,.0f} rows/s "
                f"(target ≥ {target:,} from {c['fmt'].upper()})"
            )
    worst = max(cases, key=lambda c: c["peak_rss_mb"])
    print(
        f"  {verdict(worst['peak_rss_mb'] <= PEAK_RSS_MB):<6} peak RSS: highest "
        f"{worst['peak_rss_mb']:.0f} MB, {worst['case']} (target ≤ {PEAK_RSS_MB} MB)"
    )
    print(f"  {verdict(query_ok):<6} query counts do not grow from the small to the big district")
    wrong = [c["case"] for c in cases if not c["expected_ok"]]
    print(
        f"  {verdict(not wrong):<6} every import succeeded with the expected "
        "created/updated/unchanged" + (f" (not: {'; '.join(wrong)})" if wrong else "")
    )


def main() -> None:
    if sys.argv[1:2] == ["_worker"]:
        spec = json.loads(sys.argv[2])
        result = WORKERS[spec["op"]](spec)
        with open(spec["result"], "w") as handle:
            json.dump(result, handle)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median shown)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    print(f"import_district benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}, {SCRATCH_URL}")
    print(f"Before: {load_average()}")
    scratch = Scratch()
    try:
        print(
            f"Python {platform.python_version()}, PostgreSQL {scratch.server_version()}, "
            f"{args.repeat} run(s) per case"
        )
        with tempfile.TemporaryDirectory(prefix="bench_import_") as folder:
            print(f"Small district {SMALL[0]}/{SMALL[1]:,}: loading, counting queries…")
            small_q, notes = load_small_and_count_queries(scratch, Path(folder))
            print(f"Big district {BIG[0]:,}/{BIG[1]:,}: generating files, importing (median):")
            cases, extra, big_q = run_big(scratch, Path(folder), args.repeat)
    finally:
        scratch.drop()
    print_report(cases, extra, small_q, big_q, notes + extra["notes"], args.repeat)
    print(f"\nAfter: {load_average()}")
    print(f"Scratch database {SCRATCH_DB} dropped. Total {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
