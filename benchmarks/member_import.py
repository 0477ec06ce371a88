"""Benchmark: peak memory of the member import at district and city size (issue 9 §7).

Loads the city's organisations (``orgs.demo.generate_city``: 16,800) into a
scratch PostgreSQL database, writes the city's members as XLSX (openpyxl,
360,000 rows) and, for district size, the first 76,600 of them, then imports
each file into an empty roll the way the import job does (``read_table`` on the
uploaded bytes, then ``import_members`` committing), each in a fresh process,
and prints its seconds and peak RSS (``resource.getrusage`` in that process).
A dry run and a re-import of the same city file (nothing to change) follow.
Target: peak RSS ≤ 400 MB at city size. The row and size caps are raised for
the run (``IMPORT_MAX_ROWS`` 400,000, ``IMPORT_MAX_BYTES`` 64 MB): the city
file is past the production row cap.

    .venv/bin/python benchmarks/member_import.py [--sizes district,city]

Files are kept in ``/tmp/bench_member_import/`` (written once, about a minute);
the scratch database ``bench_member_import`` on ``BENCH_PG_URL`` (default
postgresql://root@127.0.0.1:5432) is dropped at the end. It asserts nothing.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import _child

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
DB = "bench_member_import"
FOLDER = Path(tempfile.gettempdir()) / "bench_member_import"
ROWS = {"district": 76_600, "city": 360_000}
PEAK_MB = 400
ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-not-a-secret",
    "DATABASE_URL": f"{PG_URL}/{DB}",
    "IMPORT_MAX_ROWS": "400000",
    "IMPORT_MAX_BYTES": str(64 * 1024 * 1024),
    "LOG_LEVEL": "WARNING",
}


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def worker_prepare(spec: dict) -> dict:
    """Migrate, load the city's organisations, write the member files."""
    _setup()
    from django.core.management import call_command
    from openpyxl import Workbook

    from core import audit
    from core.tabular import Table
    from orgs import demo
    from orgs.importers import import_organizations

    call_command("migrate", verbosity=0, interactive=False)
    city = demo.generate_city()
    with audit.acting(None, audit.Source.COMMAND):
        report = import_organizations(
            Table(headers=demo.ORG_HEADERS, rows=city.organizations), user=None, dry_run=False
        )
    assert report.ok, report.errors[:3]
    FOLDER.mkdir(exist_ok=True)
    for size, rows in ROWS.items():
        path = FOLDER / f"{size}_members.xlsx"
        if path.exists():
            continue
        book = Workbook(write_only=True)
        sheet = book.create_sheet("党员")
        sheet.append(demo.MEMBER_HEADERS)
        for row in city.members[:rows]:
            sheet.append(row)
        book.save(path)
    return {}


def worker_import(spec: dict) -> dict:
    """One import, as the job runs it: the file's bytes, read_table, import_members."""
    _setup()
    from core import audit
    from core.tabular import read_table
    from orgs.importers import import_members

    path = Path(spec["path"])
    started = time.perf_counter()
    with audit.acting(None, audit.Source.COMMAND):
        # as orgs.jobs.run_import reads a members file (core.jobs.job_input_table)
        table = read_table(path.read_bytes(), path.name, stream=True)
        report = import_members(table, user=None, dry_run=spec["dry_run"])
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "errors": [str(e) for e in report.errors[:3]],
    }


def worker_sql(spec: dict) -> dict:
    _setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(spec["sql"])
    return {}


WORKERS = {"prepare": worker_prepare, "import": worker_import, "sql": worker_sql}


def run(op: str, **spec) -> dict:
    """Run one worker in a fresh interpreter and return what it reported."""
    return _child.run_worker(__file__, op, **spec)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="district,city")
    args = parser.parse_args()
    import psycopg2

    admin = psycopg2.connect(f"{PG_URL}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB}")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    empty = "TRUNCATE orgs_member, orgs_membertransfer CASCADE"
    try:
        run("prepare")
        lines = []
        for size in args.sizes.split(","):
            path = FOLDER / f"{size}_members.xlsx"
            megabytes = path.stat().st_size / 1024 / 1024
            cases = [
                ("dry run into an empty roll", True, empty),
                ("commit into an empty roll", False, empty),
            ]
            if size == "city":  # the roll the commit left: every row unchanged
                cases.append(("re-import (nothing changes)", False, None))
            for label, dry_run, before in cases:
                if before:
                    run("sql", sql=before)
                result = run("import", path=str(path), dry_run=dry_run)
                lines.append((size, ROWS[size], megabytes, label, result))
                print(f"  {size} {label}: {result['seconds']:.1f} s, {result['peak_mb']:.0f} MB")
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        admin.close()
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print()
    print("size      rows     file MB  case                          seconds  peak RSS MB  result")
    for size, rows, megabytes, label, result in lines:
        verdict = ""
        if size == "city":
            verdict = "  (target ≤ 400: " + ("met)" if result["peak_mb"] <= PEAK_MB else "MISSED)")
        outcome = f"+{result['created']} ~{result['updated']} ={result['unchanged']}"
        if result["errors"]:
            outcome += f" errors: {result['errors']}"
        print(
            f"{size:<9} {rows:>7,}  {megabytes:>7.1f}  {label:<29} {result['seconds']:>7.1f}  "
            f"{result['peak_mb']:>11.0f}  {outcome}{verdict}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_worker":
        spec = json.loads(sys.argv[2])
        Path(spec["result"]).write_text(json.dumps(WORKERS[spec["op"]](spec)))
    else:
        main()
