"""Benchmark: the district office's 工作进度 page with every chart, at city size.

Issue 13 §2. Builds (or with ``--reuse`` keeps) the scratch database
``bench_dash_<size>`` as ``benchmarks/pages.py`` builds its own (the city of
``orgs.demo.generate_city``, 16,800 organisations / 360,000 members, loaded
through the importers with COPY; plans and pledges in bulk), then adds in bulk
what the review charts read: 整改 items for every fourth branch in every state
(a third of the open ones flagged overdue), a closed round of the units' kind
with a grade for every branch, and a survey of organisations with a paper tally
for every other branch; the stored counts are recounted (``tallies.recount``,
what a bulk path does) and the database ANALYZEd.

It measures the root's dashboard for the campaign office: queries per request,
in-process p50/p95 (Django test client, DEBUG off) and through gunicorn (2
sync workers, DEBUG off) serial p50/p95 over ``--requests`` requests (default
20), against the target p95 ≤ 150 ms, and the same for the export. The load
average is printed before and after. It asserts nothing.

    .venv/bin/python benchmarks/dashboard.py [--size city|district] [--requests 20] [--reuse]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_PAGES_DB", "bench_dash")

import pages  # noqa: E402 (the scratch database's name is read on import)

ROOT = pages.ROOT


def worker_load(spec: dict) -> dict:
    """The pages benchmark's city, then the review data the charts read."""
    loaded = pages.worker_load(spec)
    import datetime as dt
    import random

    from django.db import connection

    from campaign.models import Campaign
    from orgs import tallies
    from orgs.models import Organization
    from reviews.models import Review, ReviewKind, ReviewRound
    from reviews.models_rectify import Rectification
    from reviews.models_surveys import Survey, SurveySubject, SurveyTally

    started = time.perf_counter()
    rng = random.Random(13)
    campaign = Campaign.objects.get()
    root = campaign.organization
    branches = list(Organization.objects.filter(kind="branch").values_list("pk", flat=True))
    today = dt.date(2026, 12, 3)
    states = ["pending", "in_progress", "done", "verified"]
    items = []
    for i, pk in enumerate(branches[::4]):
        state = states[i % 4]
        items.append(
            Rectification(
                campaign=campaign,
                organization_id=pk,
                description="公示栏承诺未及时更新，限期整改",
                due_on=today + dt.timedelta(days=rng.randint(-20, 40)),
                state=state,
                overdue=state in ("pending", "in_progress") and i % 3 == 0,
                evidence="已整改" if state in ("done", "verified") else "",
            )
        )
    Rectification.objects.bulk_create(items, batch_size=5000)
    kind = ReviewKind.objects.filter(campaign=campaign, subject="organization").first()
    graded = 0
    if kind is not None:
        labels = list(kind.grades.order_by("position").values_list("label", flat=True))
        round_ = ReviewRound.objects.create(
            campaign=campaign,
            kind=kind,
            organization=root,
            period="2010年第四季度",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
            state=ReviewRound.State.CLOSED,
        )
        reviews = [
            Review(round=round_, organization_id=pk, grade=rng.choice(labels)) for pk in branches
        ]
        Review.objects.bulk_create(reviews, batch_size=5000)
        graded = len(reviews)
    survey = Survey.objects.create(
        campaign=campaign,
        organization=root,
        title="2010年群众评议",
        opens_on=dt.date(2010, 11, 1),
        closes_on=dt.date(2010, 11, 30),
    )
    subjects = SurveySubject.objects.bulk_create(
        [SurveySubject(survey=survey, organization_id=pk) for pk in branches[::2]],
        batch_size=5000,
    )
    questions, choices = len(survey.questions), len(survey.choices)
    paper = []
    for subject in subjects:
        forms = rng.randint(10, 30)
        counts = []
        for _ in range(questions):
            row = [0] * (choices + 1)
            for _ in range(forms):
                r = rng.random()
                row[0 if r < 0.7 else 1 if r < 0.9 else 2 if r < 0.98 else choices] += 1
            counts.append(row)
        paper.append(
            SurveyTally(
                subject=subject,
                attendees=forms + 2,
                forms=forms,
                counts=counts,
                held_on=dt.date(2010, 11, 20),
            )
        )
    SurveyTally.objects.bulk_create(paper, batch_size=5000)
    _spread_dates(campaign)
    # a bulk path keeps the stored counts (plans and pledges again: their dates moved)
    tallies.recount(["plans", "pledges", "rectify", "grades", "satisfaction"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return loaded | {
        "rectifications": len(items),
        "graded": graded,
        "tallies": len(paper),
        "review_seconds": time.perf_counter() - started,
    }


def _spread_dates(campaign) -> None:
    """Spread the dates the quarterly trends read over the campaign's days (the
    bulk loads left them empty or at today): 备案, 公示, 评诺, 交办, 核验, and the
    paper tallies' days over the survey's."""
    from django.db import connection

    from campaign.models import Plan
    from pledges.models import Pledge
    from reviews.models_rectify import Rectification
    from reviews.models_surveys import SurveyTally

    start = f"{campaign.start_date.isoformat()} 09:00+08"
    days = max(1, (campaign.end_date - campaign.start_date).days)
    updates = [
        (Plan, "reviewed_at", "state = 'accepted'", 0),
        (Pledge, "published_at", "published_revision > 0", 0),
        (Pledge, "outcome_at", "outcome = 'honoured'", 60),
        (Rectification, "created_at", "TRUE", 0),
        (Rectification, "verified_at", "state = 'verified'", 45),
    ]
    with connection.cursor() as cursor:
        for model, column, where, later in updates:
            cursor.execute(
                f"UPDATE {model._meta.db_table} SET {column} = %s::timestamptz"
                f" + (LEAST(id %% %s + %s, %s)) * interval '1 day' WHERE {where}",
                [start, days, later, days],
            )
        cursor.execute(
            f"UPDATE {SurveyTally._meta.db_table} t SET held_on = s.opens_on + (t.id % 20)::int"
            " FROM reviews_surveysubject j JOIN reviews_survey s ON s.id = j.survey_id"
            " WHERE j.id = t.subject_id AND s.opens_on + (t.id % 20)::int <= s.closes_on"
        )


def worker_measure(spec: dict) -> dict:
    """Queries and in-process time of the dashboard and its export; a session for gunicorn."""
    pages._setup_django(spec["size"])
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test import Client

    from orgs.models import Organization

    root = Organization.objects.get(parent__isnull=True)
    office = get_user_model().objects.get(username="bench_office")
    client = Client()
    client.force_login(office)
    urls = {
        "dashboard": f"/campaign/dashboard/{root.pk}/",
        "export": f"/campaign/dashboard/{root.pk}/export.xlsx",
    }
    # In the city, also one of its districts: the child with the most units below it.
    child = max(Organization.objects.filter(parent=root), key=lambda o: o.rght - o.lft)
    if child.get_children().count() > root.get_children().count():
        urls["district"] = f"/campaign/dashboard/{child.pk}/"
    found = {}
    for name, url in urls.items():
        for _ in range(3):
            client.get(url)
        queries: list[str] = []  # counted around the request (its start resets queries_log)

        def counted(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = client.get(url)
        times = []
        for _ in range(spec["requests"]):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        charts = response.content.decode(errors="ignore").count("data-chart=")
        found[name] = {
            "children": Organization.objects.filter(parent_id=int(url.split("/")[3])).count(),
            "url": url,
            "status": response.status_code,
            "bytes": len(response.content),
            "queries": len(queries),
            "charts": charts if name != "export" else None,
            "p50": statistics.median(times),
            "p95": pages._p95(times),
        }
    session = SessionStore()
    session["_auth_user_id"] = str(office.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = office.get_session_auth_hash()
    session.create()
    return {"pages": found, "session": session.session_key}


WORKERS = {"load": worker_load, "measure": worker_measure}


def run_worker(op: str, **spec) -> dict:
    return pages._child.run_worker(__file__, op, **spec)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="city", choices=list(pages.SIZES))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    size = args.size
    print(f"load average before: {pages._load_average()}  (2 cores shared with other work)")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=os.environ | pages.PRODUCTION_LIKE | {"DATABASE_URL": pages.db_url(size)},
        check=True,
    )
    if args.reuse and pages._database_ready(size):
        print(f"{size}: reusing {pages.DB_PREFIX}_{size}")
    else:
        pages._recreate(size)
        loaded = run_worker("load", size=size)
        print(
            f"{size}: {loaded['organizations']:,} organisations, {loaded['members']:,} members, "
            f"{loaded['plans']:,} plans, {loaded['pledges']:,} pledges, "
            f"{loaded['rectifications']:,} 整改, {loaded['graded']:,} graded, "
            f"{loaded['tallies']:,} survey tallies (built in {loaded['seconds']:.0f} s "
            f"+ {loaded['review_seconds']:.0f} s)"
        )
    measured = run_worker("measure", size=size, requests=args.requests)
    cookie = f"sessionid={measured['session']}"
    server = pages.Gunicorn(size)
    try:
        for page in measured["pages"].values():
            page["serial"] = pages.serial(server.port, page["url"], cookie, args.requests)
    finally:
        server.stop()
    print(f"load average after: {pages._load_average()}")
    print(
        "page       children status queries charts  bytes | in-process p50/p95 ms | "
        "gunicorn serial p50/p95 ms | verdict"
    )
    for name, page in measured["pages"].items():
        p95 = page["serial"]["p95"]
        verdict = "p95 met" if p95 <= pages.P95_MS else "p95 MISSED"
        print(
            f"{name:<10} {page['children']:>8} {page['status']:>6} {page['queries']:>7} {page['charts'] or '-':>6} "
            f"{page['bytes']:>6} | {page['p50']:>8.1f} / {page['p95']:>7.1f}   | "
            f"{page['serial']['p50']:>10.1f} / {p95:>7.1f}     | {verdict} (≤ {pages.P95_MS} ms)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_worker":
        spec = json.loads(sys.argv[2])
        outcome = WORKERS[spec["op"]](spec)
        Path(spec["result"]).write_text(json.dumps(outcome))
    else:
        main()
