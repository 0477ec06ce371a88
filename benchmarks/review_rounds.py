"""Benchmark: review rounds (讲评评议) on the whole district (issue 10 §7).

Builds a scratch PostgreSQL database ``bench_reviews`` on ``BENCH_PG_URL``
(default postgresql://root@127.0.0.1:5432): ``orgs.demo.generate`` at 4,000
organisations / 75,000 members loaded through the importers (as ``pages.py``),
the Licheng campaign on the root (``load_campaign licheng``, with its review
kinds) and, as a second campaign on the same root, Fengnian, whose
集中评议（党组织） has 下级评上级 (Licheng has no upward kind). A 60-member and a
10-member branch are added when the generator made none of exactly that size. A
secretary is made for every unit holding members and a committee user for every
unit with child units (grants, no logins), so each grid is saved by whoever
would save it. Then, each step in a fresh interpreter (its own peak RSS):

1. open 党员民主评议 on the root (``round_create`` + ``round_open``: a Review per
   member), and a small one on one child's subtree to compare with;
2. fill it: every unit's branch grid through ``reviews.sheets.grid_save`` as its
   secretary (submitted), then five 党员互评 sheets per member (the next five of
   the branch) written in bulk — ``ScoreSheet`` rows, not ``sheet_save``: the
   output says so. No 群众评议 (its weight is renormalised away);
3. 党（工）委季度点评: each committee rates its child units in a grid with grades
   (``grid_save``); Fengnian's 集中评议（党组织）: each committee's 上级党组织评议
   grid, and every unit's 下级评上级 sheet on its parent (in bulk, as the peers);
4. close each round (``round_close``: with no broker the results job runs at
   commit, as in development), then ``reviews.results.round_results`` again in a
   fresh process for each round: seconds and peak RSS (target: ≤ 20 s and
   ≤ 400 MB for the whole district);
5. (run before 4, while the round is open) saving a grid 20 times: p50 / p95
   and the query count, for the 60- and the 10-member branch, and a 点评 grid of
   the largest and of a small committee (target ≤ 300 ms, queries not growing);
6. the results page ``/reviews/<pk>/results/`` (first page, page 100, a grade
   filter) and the 评议进度 page ``/reviews/<pk>/progress/`` (no target of its
   own; the results page's is printed beside it) through the Django test client
   as the campaign office, DEBUG off:
   p50 / p95 over 30 requests and the queries, the district round beside the
   small one (target ≤ 150 ms, the same queries).

    .venv/bin/python benchmarks/review_rounds.py [--requests 30] [--saves 20] [--reuse]

``--reuse`` keeps a loaded district (it empties the review tables and runs the
steps again); without it the database is rebuilt (about 3 minutes). The machine
may be shared: the load average is printed with the figures. It asserts nothing.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _child

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
DB = "bench_reviews"
SIZE = {"organizations": 4000, "members": 75000}
PERIOD, SMALL_PERIOD = "2010年第四季度", "2010年第四季度（小范围）"
PEERS = 5
GRID_SIZES = (60, 10)
TARGETS = {"results_s": 20, "results_mb": 400, "grid_ms": 300, "page_ms": 150}
ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-not-a-secret",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    "DATABASE_URL": f"{PG_URL}/{DB}",
    "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "bench_reviews_static"),
}
MEMBER_KIND, DIANPING_KIND, UPWARD_KIND = "党员民主评议", "党（工）委季度点评", "集中评议（党组织）"


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _office():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="bench_office")


def _round(name: str, period: str = PERIOD):
    from reviews.models import ReviewRound

    return ReviewRound.objects.select_related("kind__rubric", "organization", "campaign").get(
        kind__name=name, period=period
    )


def _user_for(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


# ----------------------------------------------------------------- the workers


def _branch_of_size(size: int):
    """A branch of exactly ``size`` members: one the generator made, or a new one
    under the parent of the first branch (services, so tree and tallies hold)."""
    from django.db.models import Count

    from orgs.models import Member, Organization
    from orgs.services import member_create, organization_create

    found = (
        Organization.objects.filter(kind="branch", is_active=True)
        .annotate(n=Count("members"))
        .filter(n=size)
        .order_by("lft")
        .first()
    )
    if found is not None:
        return found, False
    model = Organization.objects.filter(kind="branch", is_active=True).order_by("lft").first()
    branch = organization_create(
        parent=model.parent,
        code=f"{model.parent.code}-B{size}",
        name=f"基准测试第{size}人党支部",
        kind=model.kind,
        sector=model.sector,
    )
    like = Member.objects.order_by("pk").first()
    for n in range(size):
        member_create(
            organization=branch,
            number=f"{branch.code}-{n:03d}",
            name=f"测试{n:02d}",
            gender=like.gender,
            birth_date=like.birth_date,
            joined_on=like.joined_on,
            category=like.category,
        )
    return branch, True


def worker_load(spec: dict) -> dict:
    """Migrate and fill the scratch database: district, campaigns, users."""
    _setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from core import audit
    from core.tabular import Table
    from orgs import demo
    from orgs.importers import import_members, import_organizations
    from orgs.models import Member, Organization, Role, RoleGrant

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    data = demo.generate(organizations=spec["organizations"], members=spec["members"])
    with audit.acting(None, audit.Source.COMMAND):
        for headers, rows, run in (
            (demo.ORG_HEADERS, data.organizations, import_organizations),
            (demo.MEMBER_HEADERS, data.members, import_members),
        ):
            report = run(Table(headers=headers, rows=rows), user=None, dry_run=False)
            assert report.ok, report.errors[:3]
        del data
        made = {size: _branch_of_size(size)[1] for size in GRID_SIZES}
    with open(os.devnull, "w") as quiet:
        for seed in ("licheng", "fengnian"):
            call_command("load_campaign", seed, root=demo.ROOT_CODE, stdout=quiet)
    users = get_user_model().objects
    root = Organization.objects.get(code=demo.ROOT_CODE)
    office = users.create_user("bench_office", "", "bench-password-1")
    RoleGrant.objects.create(user=office, organization=root, role=Role.CAMPAIGN_OFFICE)
    # A secretary for every unit holding members, a committee user for every
    # unit with child units (the root's grid is the office's).
    holding = set(Member.objects.values_list("organization_id", flat=True).distinct())
    parents = set(
        Organization.objects.exclude(parent=None).values_list("parent_id", flat=True).distinct()
    ) - {root.pk}
    accounts = [get_user_model()(username=f"sec{pk}") for pk in sorted(holding)]
    accounts += [get_user_model()(username=f"com{pk}") for pk in sorted(parents)]
    for account in accounts:
        account.set_unusable_password()
    users.bulk_create(accounts, batch_size=2000)
    by_name = dict(users.values_list("username", "pk"))
    grants = [
        RoleGrant(user_id=by_name[f"sec{pk}"], organization_id=pk, role=Role.BRANCH_SECRETARY)
        for pk in holding
    ] + [
        RoleGrant(user_id=by_name[f"com{pk}"], organization_id=pk, role=Role.COMMITTEE_STAFF)
        for pk in parents
    ]
    RoleGrant.objects.bulk_create(grants, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "made": {str(k): v for k, v in made.items()},
        "secretaries": len(holding),
        "committees": len(parents),
        "seconds": time.perf_counter() - started,
    }


def worker_open(spec: dict) -> dict:
    """Step 1 (and the opening of the organisation rounds in step 3)."""
    _setup()
    import datetime as dt

    from django.db.models import Count

    from campaign.models import Campaign
    from orgs import selectors
    from orgs.models import Member, Organization
    from reviews import services
    from reviews.models import Review, ReviewKind

    office = _office()
    kind = ReviewKind.objects.select_related("campaign").get(name=spec["kind"])
    campaign: Campaign = kind.campaign
    root = campaign.organization
    where = root
    if spec.get("small"):
        # The smallest child subtree of the root with 300 members or more.
        sizes = []
        for child in Organization.objects.filter(parent=root).order_by("lft"):
            n = Member.objects.filter(selectors.subtree_q(child, "organization__")).count()
            if n >= 300:
                sizes.append((n, child.lft, child))
        where = min(sizes)[2]
    started = time.perf_counter()
    round_ = services.round_create(
        user=office,
        campaign=campaign,
        kind=kind,
        organization=where,
        period=spec["period"],
        opens_on=dt.date(2010, 12, 1),  # inside both campaigns
        closes_on=dt.date(2010, 12, 31),
    )
    round_ = services.round_open(round_=round_, user=office)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "round": round_.pk,
        "where": where.name,
        "reviews": Review.objects.filter(round=round_).aggregate(n=Count("pk"))["n"],
    }


def _score_entry(criteria, rng):
    from reviews.sheets import Entry

    return Entry(
        {c.code: str(rng.randint(int(c.max_score * 6 / 10), int(c.max_score))) for c in criteria},
        opinion="继续发挥先锋模范作用" if rng.random() < 0.1 else "",
    )


def worker_fill_members(spec: dict) -> dict:
    """Step 2: the branch grids through grid_save, the peer sheets in bulk."""
    _setup()
    import random

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core import audit
    from reviews.models import Review, ScoreSheet
    from reviews.sheets import grid_save

    round_ = _round(MEMBER_KIND, spec["period"])
    criteria = list(round_.kind.rubric.criteria.all())
    rng = random.Random(10)
    office = _office()
    secretaries = {
        int(name[3:]): user
        for user in get_user_model().objects.filter(username__startswith="sec")
        for name in [user.username]
    }
    by_unit: dict[int, list[int]] = {}
    for pk, unit in (
        Review.objects.filter(round=round_)
        .order_by("organization_id", "member__number")
        .values_list("pk", "organization_id")
    ):
        by_unit.setdefault(unit, []).append(pk)
    from orgs.models import Organization

    units = Organization.objects.in_bulk(list(by_unit))
    started = time.perf_counter()
    sheets = 0
    with audit.acting(office, audit.Source.PAGE):
        for unit_pk, reviews in by_unit.items():
            user = secretaries.get(unit_pk, office)
            entries = {pk: _score_entry(criteria, rng) for pk in reviews}
            sheets += grid_save(
                round_=round_, unit=units[unit_pk], user=user, entries=entries, submit=True
            )
    grid_seconds = time.perf_counter() - started
    grid_peak = _peak_mb()

    started = time.perf_counter()
    now = timezone.now()
    batch: list[ScoreSheet] = []
    peers = 0
    for reviews in by_unit.values():
        n = len(reviews)
        for i, pk in enumerate(reviews):
            for step in range(1, min(PEERS, n - 1) + 1):
                evaluator = reviews[(i + step) % n]  # a synthetic key per peer (no login)
                scores = {
                    str(c.pk): str(rng.randint(int(c.max_score) // 2, int(c.max_score)))
                    for c in criteria
                }
                batch.append(
                    ScoreSheet(
                        review_id=pk,
                        evaluator="peer",
                        evaluator_key=f"u-r{evaluator}",
                        scores=scores,
                        state=ScoreSheet.State.SUBMITTED,
                        submitted_at=now,
                    )
                )
            if len(batch) >= 5000:
                ScoreSheet.objects.bulk_create(batch)
                peers += len(batch)
                batch = []
    ScoreSheet.objects.bulk_create(batch)
    peers += len(batch)
    return {
        "grid_seconds": grid_seconds,
        "grid_peak_mb": grid_peak,
        "grids": len(by_unit),
        "branch_sheets": sheets,
        "peer_seconds": time.perf_counter() - started,
        "peer_sheets": peers,
        "peak_mb": _peak_mb(),
    }


def worker_fill_units(spec: dict) -> dict:
    """Step 3: a committee's grid per parent (grades for 点评, scores for 集中评议),
    and for a kind with 下级评上级 every unit's sheet on its parent (bulk)."""
    _setup()
    import random

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core import audit
    from orgs.models import Organization
    from reviews.choices import BallotForm
    from reviews.models import Review, ScoreSheet
    from reviews.sheets import Entry, grid_save

    round_ = _round(spec["kind"])
    kind = round_.kind
    criteria = list(kind.rubric.criteria.all())
    labels = list(kind.grades.order_by("position").values_list("label", flat=True))
    rng = random.Random(11)
    office = _office()
    committees = {
        int(user.username[3:]): user
        for user in get_user_model().objects.filter(username__startswith="com")
    }
    by_parent: dict[int, list[int]] = {}
    reviews = Review.objects.filter(round=round_).values_list("pk", "organization__parent_id")
    for pk, parent in reviews.order_by("organization__lft"):
        by_parent.setdefault(parent, []).append(pk)
    parents = Organization.objects.in_bulk(list(by_parent))
    started = time.perf_counter()
    sheets = 0
    with audit.acting(office, audit.Source.PAGE):
        for parent_pk, pks in by_parent.items():
            if kind.ballot == BallotForm.GRADE:
                entries = {
                    pk: Entry({}, grade=rng.choice(labels), opinion="党员服务站作用明显")
                    for pk in pks
                }
            else:
                entries = {pk: _score_entry(criteria, rng) for pk in pks}
            sheets += grid_save(
                round_=round_,
                unit=parents[parent_pk],
                user=committees.get(parent_pk, office),
                entries=entries,
                submit=True,
            )
    result = {
        "grid_seconds": time.perf_counter() - started,
        "grids": len(by_parent),
        "sheets": sheets,
        "upward_sheets": 0,
        "upward_seconds": 0.0,
    }
    if kind.evaluators.filter(evaluator="upward").exists():
        started = time.perf_counter()
        subject = dict(Review.objects.filter(round=round_).values_list("organization_id", "pk"))
        now = timezone.now()
        rows = [
            ScoreSheet(
                review_id=subject[parent],
                evaluator="upward",
                evaluator_key=f"o{child}",
                scores={
                    str(c.pk): str(rng.randint(int(c.max_score) // 2, int(c.max_score)))
                    for c in criteria
                },
                state=ScoreSheet.State.SUBMITTED,
                submitted_at=now,
            )
            for child, parent in Organization.objects.filter(
                is_active=True, parent_id__in=list(subject)
            ).values_list("pk", "parent_id")
            if child in subject
        ]
        ScoreSheet.objects.bulk_create(rows, batch_size=5000)
        result["upward_sheets"] = len(rows)
        result["upward_seconds"] = time.perf_counter() - started
    result["peak_mb"] = _peak_mb()
    return result


def _grid_units(round_, sizes):
    """Units whose grid in ``round_`` has each of ``sizes`` rows (or the largest
    and a small one: ``sizes`` None)."""
    from django.db.models import Count

    from reviews.models import Review, ReviewKind

    field = (
        "organization_id"
        if round_.kind.subject == ReviewKind.Subject.MEMBER
        else ("organization__parent_id")
    )
    counts = list(
        Review.objects.filter(round=round_)
        .values(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
        .order_by("-n", field)
    )
    if sizes is None:
        small = min((c for c in counts if c[1] >= 5), key=lambda c: (c[1], c[0]))
        return [counts[0], small]
    return [next(c for c in counts if c[1] == size) for size in sizes]


def worker_grid(spec: dict) -> dict:
    """Step 5: one grid saved ``saves`` times, every row, as its secretary."""
    _setup()
    import random

    from django.db import connection

    from core import audit
    from orgs.models import Organization
    from reviews.choices import BallotForm
    from reviews.sheets import Entry, grid_reviews, grid_save

    round_ = _round(spec["kind"])
    kind = round_.kind
    criteria = list(kind.rubric.criteria.all())
    labels = list(kind.grades.values_list("label", flat=True))
    rng = random.Random(12)
    out = []
    for unit_pk, n in _grid_units(round_, spec["sizes"]):
        unit = Organization.objects.get(pk=unit_pk)
        prefix = "sec" if kind.subject == "member" else "com"
        try:
            user = _user_for(f"{prefix}{unit_pk}")
        except Exception:
            user = _office()
        pks = [r.pk for r in grid_reviews(round_, unit)]
        times, queries = [], []
        with audit.acting(user, audit.Source.PAGE):
            for i in range(spec["saves"] + 2):
                if kind.ballot == BallotForm.GRADE:
                    entries = {pk: Entry({}, grade=rng.choice(labels)) for pk in pks}
                else:
                    entries = {pk: _score_entry(criteria, rng) for pk in pks}
                counted = [0]

                def count(execute, sql, params, many, context, counted=counted):
                    counted[0] += 1
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(count):
                    started = time.perf_counter()
                    grid_save(round_=round_, unit=unit, user=user, entries=entries, submit=True)
                    elapsed = (time.perf_counter() - started) * 1000
                if i >= 2:  # two warm-up saves
                    times.append(elapsed)
                    queries.append(counted[0])
        out.append(
            {
                "unit": unit.name,
                "rows": n,
                "p50": statistics.median(times),
                "p95": _p95(times),
                "queries": sorted(set(queries)),
            }
        )
    return {"grids": out}


def worker_close(spec: dict) -> dict:
    """Step 4a: round_close; with no broker the results job runs at commit."""
    _setup()
    from core.models import Job
    from reviews import services
    from reviews.models import Review

    round_ = _round(spec["kind"], spec["period"])
    started = time.perf_counter()
    services.round_close(round_=round_, user=_office())
    seconds = time.perf_counter() - started
    job = Job.objects.filter(kind="review_results").order_by("-pk").first()
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "job": job.status if job else "none",
        "computed": Review.objects.filter(round=round_, computed_at__isnull=False).count(),
    }


def worker_results(spec: dict) -> dict:
    """Step 4b: reviews.results.round_results(round) alone, optionally profiled."""
    _setup()
    from reviews.results import round_results

    round_ = _round(spec["kind"], spec["period"])
    profile = None
    started = time.perf_counter()
    if spec.get("profile"):
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        subjects = profiler.runcall(round_results, round_)
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(12)
        profile = stream.getvalue()
    else:
        subjects = round_results(round_)
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": _peak_mb(),
        "subjects": subjects,
        "profile": profile,
    }


def worker_page(spec: dict) -> dict:
    """Step 6: the results page as the campaign office (test client, DEBUG off)."""
    _setup()
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(_office())
    out = {}
    for period in (PERIOD, SMALL_PERIOD):
        round_ = _round(MEMBER_KIND, period)
        base = f"/reviews/{round_.pk}/results/"
        for label, url in (
            ("first page", base),
            ("page 100", base + "?page=100"),
            ("grade 合格", base + "?grade=合格"),
            ("评议进度", f"/reviews/{round_.pk}/progress/"),
        ):
            for _ in range(3):
                client.get(url)
            captured: list[tuple[float, str]] = []  # each query of one request

            def timed(execute, sql, params, many, context, captured=captured):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    captured.append((time.perf_counter() - started, sql))

            with connection.execute_wrapper(timed):
                response = client.get(url)
            times = []
            for _ in range(spec["requests"]):
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            out[f"{period}|{label}"] = {
                "url": url,
                "status": response.status_code,
                "queries": len(captured),
                "sql_ms": sum(t for t, _ in captured) * 1000,
                "p50": statistics.median(times),
                "p95": _p95(times),
                "slowest_sql": max(captured)[1][:400] if captured else "",
                "slowest_ms": max(captured)[0] * 1000 if captured else 0.0,
            }
    return out


def worker_sql(spec: dict) -> dict:
    _setup()
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        cursor.execute(spec["sql"])
        if cursor.description:
            rows = [list(map(str, r)) for r in cursor.fetchall()]
    return {"rows": rows}


WORKERS = {
    "load": worker_load,
    "open": worker_open,
    "fill_members": worker_fill_members,
    "fill_units": worker_fill_units,
    "grid": worker_grid,
    "close": worker_close,
    "results": worker_results,
    "page": worker_page,
    "sql": worker_sql,
}


def run(op: str, **spec) -> dict:
    """Run one worker in a fresh interpreter and return what it reported."""
    return _child.run_worker(__file__, op, **spec)


# ---------------------------------------------------------------- orchestration


def _ready() -> bool:
    import psycopg2

    try:
        with psycopg2.connect(f"{PG_URL}/{DB}") as conn, conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM auth_user WHERE username = 'bench_office'")
            return cursor.fetchone()[0] == 1
    except psycopg2.Error:
        return False


def _recreate() -> None:
    import psycopg2

    admin = psycopg2.connect(f"{PG_URL}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB}")
    admin.close()


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile round_results")
    parser.add_argument("--organizations", type=int, default=SIZE["organizations"])
    parser.add_argument("--members", type=int, default=SIZE["members"])
    args = parser.parse_args()
    print(f"load average before: {_load()}  (2 cores shared with other work)")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=os.environ | ENV,
        check=True,
    )
    if args.reuse and _ready():
        print(f"reusing {DB}: emptying the review tables")
        run("sql", sql="TRUNCATE reviews_reviewround, core_job CASCADE")
    else:
        _recreate()
        loaded = run("load", organizations=args.organizations, members=args.members)
        made = [f"{k}-member branch {'added' if v else 'found'}" for k, v in loaded["made"].items()]
        print(
            f"district: {loaded['organizations']:,} organisations, {loaded['members']:,} members "
            f"({', '.join(made)}); {loaded['secretaries']:,} secretaries, "
            f"{loaded['committees']:,} committee users; loaded in {loaded['seconds']:.0f} s"
        )
    run("sql", sql="VACUUM ANALYZE")

    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    say("step 1: open 党员民主评议 on the root (round_create + round_open)")
    opened = run("open", kind=MEMBER_KIND, period=PERIOD)
    say(
        f"  district: {opened['reviews']:,} reviews in {opened['seconds']:.1f} s, "
        f"peak {opened['peak_mb']:.0f} MB"
    )
    small = run("open", kind=MEMBER_KIND, period=SMALL_PERIOD, small=True)
    say(
        f"  small ({small['where']}): {small['reviews']:,} reviews in {small['seconds']:.1f} s, "
        f"peak {small['peak_mb']:.0f} MB"
    )

    say(
        "step 2: fill it (branch grids through grid_save; peer sheets bulk-created ScoreSheet rows)"
    )
    for period, label in ((PERIOD, "district"), (SMALL_PERIOD, "small")):
        filled = run("fill_members", period=period)
        say(
            f"  {label}: {filled['branch_sheets']:,} branch sheets in {filled['grids']:,} grids "
            f"(grid_save as each unit's secretary) {filled['grid_seconds']:.1f} s, peak "
            f"{filled['grid_peak_mb']:.0f} MB; {filled['peer_sheets']:,} peer sheets "
            f"(bulk_create, not sheet_save) {filled['peer_seconds']:.1f} s; "
            f"process peak {filled['peak_mb']:.0f} MB"
        )

    say("step 3: organisation rounds")
    for name in (DIANPING_KIND, UPWARD_KIND):
        opened = run("open", kind=name, period=PERIOD)
        filled = run("fill_units", kind=name)
        upward = (
            f"; {filled['upward_sheets']:,} 下级评上级 sheets (bulk_create) "
            f"{filled['upward_seconds']:.1f} s"
            if filled["upward_sheets"]
            else ""
        )
        say(
            f"  {name}: open {opened['reviews']:,} reviews {opened['seconds']:.1f} s; "
            f"{filled['sheets']:,} sheets in {filled['grids']:,} committee grids (grid_save) "
            f"{filled['grid_seconds']:.1f} s{upward}; peak {filled['peak_mb']:.0f} MB"
        )
    say("  (集中评议（党组织） is Fengnian's kind, loaded as a second campaign on the same root)")
    run("sql", sql="ANALYZE")

    say(f"step 5: saving a grid, every row, {args.saves} times (round open; target ≤ 300 ms)")
    grids = run("grid", kind=MEMBER_KIND, sizes=list(GRID_SIZES), saves=args.saves)["grids"]
    grids += run("grid", kind=DIANPING_KIND, sizes=None, saves=args.saves)["grids"]
    for g in grids:
        say(
            f"  {g['rows']:>3} rows ({g['unit']}): p50 {g['p50']:.0f} ms, p95 {g['p95']:.0f} ms "
            f"[{_verdict(g['p95'], TARGETS['grid_ms'])}], queries {g['queries']}"
        )
    member_q = {tuple(g["queries"]) for g in grids[:2]}
    unit_q = {tuple(g["queries"]) for g in grids[2:]}
    say(
        "  query count not growing with rows: members "
        f"{'yes' if len(member_q) == 1 else 'NO'}, 点评 {'yes' if len(unit_q) == 1 else 'NO'}"
    )

    say("step 4: close and compute (targets: ≤ 20 s and ≤ 400 MB for the whole district)")
    total = 0.0
    peak = 0.0
    for name, period in (
        (MEMBER_KIND, PERIOD),
        (DIANPING_KIND, PERIOD),
        (UPWARD_KIND, PERIOD),
        (MEMBER_KIND, SMALL_PERIOD),
    ):
        closed = run("close", kind=name, period=period)
        again = run("results", kind=name, period=period, profile=args.profile)
        if period == PERIOD:
            total += again["seconds"]
            peak = max(peak, again["peak_mb"])
        say(
            f"  {name} {period}: round_close (job {closed['job']}, {closed['computed']:,} "
            f"computed) {closed['seconds']:.1f} s, peak {closed['peak_mb']:.0f} MB; "
            f"round_results alone {again['subjects']:,} subjects {again['seconds']:.1f} s, "
            f"peak {again['peak_mb']:.0f} MB"
        )
        if again["profile"]:
            print(again["profile"])
    say(
        f"  district rounds' round_results: {total:.1f} s [{_verdict(total, TARGETS['results_s'])}]"
        f", largest peak {peak:.0f} MB [{_verdict(peak, TARGETS['results_mb'])}]"
    )

    say(
        f"step 6: /reviews/<pk>/results/ and /progress/ as the office, {args.requests} requests"
        " (≤ 150 ms)"
    )
    pages = run("page", requests=args.requests)
    for key, page in pages.items():
        period, label = key.split("|")
        size = "district" if period == PERIOD else "small"
        say(
            f"  {size:<8} {label:<11} {page['status']} queries {page['queries']:>2} "
            f"(sql {page['sql_ms']:.0f} ms) p50 {page['p50']:.0f} ms p95 {page['p95']:.0f} ms "
            f"[{_verdict(page['p95'], TARGETS['page_ms'])}]"
        )
    counts = {}
    for key, page in pages.items():
        counts.setdefault(key.split("|")[1], set()).add(page["queries"])
    same = all(len(v) == 1 for v in counts.values())
    say(f"  same queries for the district and the small round: {'yes' if same else 'NO'}")
    slowest = max(pages.values(), key=lambda p: p["sql_ms"])
    say(
        f"  slowest page's slowest query ({slowest['slowest_ms']:.0f} ms): {slowest['slowest_sql']}"
    )
    print()
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_worker":
        spec = json.loads(sys.argv[2])
        Path(spec["result"]).write_text(json.dumps(WORKERS[spec["op"]](spec)))
    else:
        main()
