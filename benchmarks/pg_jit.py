"""Benchmark: the tree page's subtree member counts on PostgreSQL, JIT on and off.

Loads a district of ``--organizations`` units and ``--members`` members
(``seed_demo``, the importer's path) into the scratch database ``bench_jit``
on ``BENCH_PG_URL`` (default postgresql://root@127.0.0.1:5432), then times the
query the office's tree page runs (every top organisation and its children,
each with ``with_subtree_member_counts``) ``--repeat`` times per setting in
one session, alternating ``SET jit = on`` and ``off``, and prints the medians
with the JIT time PostgreSQL reports in EXPLAIN ANALYZE. It asserts nothing.

    .venv/bin/python benchmarks/pg_jit.py [--organizations 3564] [--members 76600] [--repeat 5]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organizations", type=int, default=3564)
    parser.add_argument("--members", type=int, default=76600)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import psycopg2

    admin = psycopg2.connect(f"{PG_URL}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS bench_jit")
        cursor.execute("CREATE DATABASE bench_jit")
    env = os.environ | {"DATABASE_URL": f"{PG_URL}/bench_jit", "PG_JIT": "true"}
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "seed_demo", "--organizations", str(args.organizations),
             "--members", str(args.members)],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"district loaded: {args.organizations:,} organisations, {args.members:,} members "
              f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection

        from orgs import selectors
        from orgs.models import Organization

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        roots = Organization.objects.filter(parent__isnull=True)
        nodes = selectors.with_subtree_member_counts(
            Organization.objects.filter(parent__in=roots) | roots
        ).order_by("tree_id", "lft")
        sql, params = nodes.query.sql_with_params()
        times: dict[str, list[float]] = {"on": [], "off": []}
        jit_ms: dict[str, list[float]] = {"on": [], "off": []}
        with connection.cursor() as cursor:
            for _ in range(args.repeat):
                for setting in ("on", "off"):
                    cursor.execute(f"SET jit = {setting}")
                    cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, params)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    total = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
                    jit = re.search(r"Timing: Generation [\d.]+ ms.*?Total ([\d.]+) ms", plan, re.S)
                    times[setting].append(total)
                    jit_ms[setting].append(float(jit.group(1)) if jit else 0.0)
        for setting in ("on", "off"):
            print(f"jit={setting:3}: tree query median {statistics.median(times[setting]):7.1f} ms "
                  f"(JIT {statistics.median(jit_ms[setting]):6.1f} ms) over {args.repeat} runs")  # fmt: skip
        connection.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute("DROP DATABASE IF EXISTS bench_jit WITH (FORCE)")


if __name__ == "__main__":
    main()
