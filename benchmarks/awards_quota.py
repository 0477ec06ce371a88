"""Benchmark: handing a category's quota (名额) down the whole district (issue 12).

Builds its own scratch PostgreSQL database ``bench_awards`` on ``BENCH_PG_URL``
(default postgresql://root@127.0.0.1:5432) the way ``review_rounds.py`` builds
``bench_reviews`` (which it leaves alone: that database has no awards tables):
``orgs.demo.generate`` at 4,000 organisations / 75,000 members through the
importers, the Licheng campaign on the root. Then, as the office (superuser
here, so the scope check is the cheapest), one round with two categories (by
members, 3,750 places; by branches, 800; no minimum) and:

1. ``quota_allocate`` on the root: seconds and queries (target ≤ 1 s);
2. every organisation with children hands its quota down in tree order (the
   whole tree, level by level, as the committees would): total seconds, the
   slowest single allocation, and the check that every level adds up;
3. the same again (a re-allocation replacing the quotas).

    .venv/bin/python benchmarks/awards_quota.py [--reuse] [--organizations N --members M]

``--reuse`` keeps a loaded district and deletes the award rows before running.
The machine may be shared: the load average is printed. It asserts nothing.
"""

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
DB = "bench_awards"
ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-not-a-secret",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    "DATABASE_URL": f"{PG_URL}/{DB}",
    "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "bench_awards_static"),
}


def _recreate() -> None:
    import psycopg2

    admin = psycopg2.connect(f"{PG_URL}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB}")
    admin.close()


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _load(organizations: int, members: int) -> float:
    from django.core.management import call_command
    from django.db import connection

    from core import audit
    from core.tabular import Table
    from orgs import demo
    from orgs.importers import import_members, import_organizations

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    data = demo.generate(organizations=organizations, members=members)
    with audit.acting(None, audit.Source.COMMAND):
        for headers, rows, run in (
            (demo.ORG_HEADERS, data.organizations, import_organizations),
            (demo.MEMBER_HEADERS, data.members, import_members),
        ):
            report = run(Table(headers=headers, rows=rows), user=None, dry_run=False)
            assert report.ok, report.errors[:3]
    with open(os.devnull, "w") as quiet:
        call_command("load_campaign", "licheng", root=demo.ROOT_CODE, stdout=quiet)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--organizations", type=int, default=4000)
    parser.add_argument("--members", type=int, default=75000)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if not args.reuse:
        _recreate()
    _setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Sum
    from django.test.utils import CaptureQueriesContext

    from awards import quotas
    from awards.models import AwardCategory, AwardRound, Quota
    from campaign.models import Campaign
    from orgs import demo
    from orgs.models import Organization

    if not args.reuse:
        print(f"district loaded in {_load(args.organizations, args.members):.1f} s")
    root = Organization.objects.get(code=demo.ROOT_CODE)
    campaign = Campaign.objects.get(organization=root)
    print(f"organisations {Organization.objects.count()}, campaign {campaign.name}")
    AwardRound.objects.filter(campaign=campaign).delete()
    user = get_user_model().objects.filter(username="bench_admin").first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench_admin", "", "bench-password-1")
    start = campaign.start_date
    round_ = AwardRound.objects.create(
        campaign=campaign,
        name="基准表彰",
        nomination_deadline=start + dt.timedelta(days=30),
        endorsement_deadline=start + dt.timedelta(days=40),
        review_deadline=start + dt.timedelta(days=50),
    )
    children = Organization.objects.filter(parent=root, is_active=True).count()
    for name, basis in (("优秀共产党员", "members"), ("先进基层党组织", "branches")):
        category = AwardCategory.objects.create(
            round=round_,
            name=name,
            subject="member" if basis == "members" else "organization",
            # About one member in twenty, one branch in four; no minimum, so every
            # level may hand its places down (a minimum would refuse small quotas).
            total_quota=3750 if basis == "members" else 800,
            basis=basis,
            minimum_per_child=0,
        )
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            quotas.quota_allocate(user=user, category=category, organization=root)
            first = time.perf_counter() - began
        print(
            f"[{name}] root → {children} children: {first * 1000:.0f} ms, {len(queries)} queries (target ≤ 1 s)"
        )
        for attempt in ("first", "again"):
            parents = list(
                Organization.objects.filter(children__isnull=False, is_active=True)
                .exclude(pk=root.pk)
                .distinct()
                .order_by("tree_id", "lft")
            )
            if attempt == "again":
                Quota.objects.filter(category=category).exclude(organization=root).exclude(
                    organization__parent=root
                ).delete()
                Quota.objects.filter(category=category, organization__parent=root).update(
                    allocated=False
                )
            began, slowest, done, refused = time.perf_counter(), 0.0, 0, 0
            for unit in parents:
                one = time.perf_counter()
                try:
                    quotas.quota_allocate(user=user, category=category, organization=unit)
                    done += 1
                except quotas.QuotaError:
                    refused += 1  # fewer places than children × minimum
                slowest = max(slowest, time.perf_counter() - one)
            total = time.perf_counter() - began
            print(
                f"[{name}] whole tree ({attempt}): {done} allocations, {refused} refused, "
                f"{total:.1f} s, slowest {slowest * 1000:.0f} ms"
            )
        bad = 0
        for parent in Quota.objects.filter(category=category, allocated=True):
            given = Quota.objects.filter(
                category=category, organization__parent_id=parent.organization_id
            ).aggregate(n=Sum("amount"))["n"]
            bad += int(given != parent.amount)
        print(f"[{name}] levels not adding up: {bad}")


if __name__ == "__main__":
    main()
