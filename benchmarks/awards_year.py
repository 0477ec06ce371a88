"""Benchmark: a district year of awards, end to end (issue 12 §6).

On the district of ``awards_quota.py`` (its scratch PostgreSQL database
``bench_awards``, built by its loader: 4,000 organisations, 75,000 members,
the Licheng campaign on the root), one round with two categories, 优秀共产党员
(520 places, by members) and 先进基层党组织 (120, by branches), each with rules
that read real tables: 满意率 ≥ 80 % (the surveys) and no overdue or unverified
整改 (the rectifications) for both, 正式党员 only for the members, and a review
score rule (综合得分 ≥ 80 in the campaign's review rounds) only where the
database holds review results. Then, as the office (a superuser):

1. allocation: ``quota_allocate`` on the root (target ≤ 1 s), then every
   organisation with children in tree order (the whole tree): seconds;
2. 520 + 120 nominations, **bulk-inserted** in state 复审通过 with the facts
   ``awards.eligibility.evaluate`` gives in one call per category: nominating
   one by one through the page (择优推荐, 层层推荐 and 组织复审 per nominee) is
   not what is measured here; then the ranking job's ``awards.jobs.rank`` per
   category: seconds and queries;
3. finalising: the round is published (``round_move(verb="publish")``), its 公示
   moved into the past, and ``round_move(verb="finalise")`` draws the 文号 and
   awards every nominee through the workflow (an ``award`` move and an
   ``Award`` row each): seconds and queries;
4. the documents through the real job machinery (``core.jobs.job_start``,
   run at commit inline: no broker), each in a fresh interpreter so its peak
   RSS is its own: the 表彰决定 (target ≤ 10 s), the 荣誉证书 as one PDF and
   as a ZIP of one PDF each (target ≥ 8 certificates/s per worker): seconds,
   certificates/s, peak RSS (target ≤ 400 MB), the file's size.

    .venv/bin/python benchmarks/awards_year.py [--reuse]

``--reuse`` keeps a loaded ``bench_awards`` (from this script or
``awards_quota.py``) and deletes the award rounds first. The machine may be
shared: the load average is printed before and after. It asserts nothing.
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import _child
import awards_quota

MEMBER_PLACES = 520
ORG_PLACES = 120
ALLOCATION_SECONDS = 1.0
DECISION_SECONDS = 10.0
CERTIFICATES_PER_SECOND = 8.0
RSS_MB = 400
ROUND_NAME = "基准年度表彰"
MEDIA = Path(tempfile.gettempdir()) / "bench_awards_media"
ENV = {**awards_quota.ENV, "MEDIA_ROOT": str(MEDIA)}
DEEDS = (
    "立足本职岗位，带头攻坚克难，所在团队连续三年超额完成任务，群众交口称赞。",
    "坚持每月走访困难党员和群众，帮助解决就业、就医、就学等实际困难二十余件。",
    "世博会期间带领志愿服务队坚守岗位一百八十四天，服务游客二十余万人次。",
)


def _setup() -> None:
    os.environ.update(ENV)
    # No broker: a job started at commit runs inline, in this process.
    os.environ.pop("CELERY_BROKER_URL", None)
    awards_quota._setup()


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _office():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="bench_admin").first()
    return user or get_user_model().objects.create_superuser("bench_admin", "", "bench-password-1")


def _timed(fn):
    """``fn()``, its seconds and its queries (counted, not logged: no cap)."""
    from django.db import connection

    count = [0]

    def counting(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        began = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - began
    return out, seconds, count[0]


def _round_with_categories(campaign, user):
    from awards.models import AwardCategory, AwardRound, EligibilityRule
    from reviews.models import Review, ReviewRound

    start = campaign.start_date
    round_ = AwardRound.objects.create(
        campaign=campaign,
        name=ROUND_NAME,
        nomination_deadline=start + dt.timedelta(days=30),
        endorsement_deadline=start + dt.timedelta(days=40),
        review_deadline=start + dt.timedelta(days=50),
        publicity_days=7,
    )
    scored = list(
        ReviewRound.objects.filter(
            pk__in=Review.objects.filter(composite__isnull=False).values("round_id")
        )
    )
    Kind = EligibilityRule.Kind
    categories = []
    for position, (name, subject, places, basis) in enumerate(
        (
            ("先进基层党组织", "organization", ORG_PLACES, "branches"),
            ("优秀共产党员", "member", MEMBER_PLACES, "members"),
        ),
        start=1,
    ):
        category = AwardCategory.objects.create(
            round=round_,
            name=name,
            subject=subject,
            total_quota=places,
            basis=basis,
            minimum_per_child=0,
            position=position,
        )
        EligibilityRule.objects.create(
            category=category, kind=Kind.SATISFACTION, min_percent=80, position=1
        )
        EligibilityRule.objects.create(category=category, kind=Kind.RECTIFICATION, position=2)
        if subject == "member":
            EligibilityRule.objects.create(category=category, kind=Kind.FULL_MEMBER, position=3)
        if scored:
            rule = EligibilityRule.objects.create(
                category=category, kind=Kind.SCORE, min_score=80, position=4
            )
            rule.review_rounds.set(scored)
        categories.append(category)
    rules = {c.name: [r.get_kind_display() for r in c.rules.all()] for c in categories}
    print(f"rules: {rules} (review results {'found' if scored else 'absent: no score rule'})")
    return round_, categories


def allocate(categories, root, user) -> None:
    from awards import quotas
    from orgs.models import Organization

    parents = list(
        Organization.objects.filter(children__isnull=False, is_active=True)
        .exclude(pk=root.pk)
        .distinct()
        .order_by("tree_id", "lft")
    )
    for category in categories:
        _out, seconds, queries = _timed(
            lambda c=category: quotas.quota_allocate(user=user, category=c, organization=root)
        )
        verdict = "PASS" if seconds <= ALLOCATION_SECONDS else "MISS"
        print(
            f"[{category.name}] allocation, root → its children: {seconds * 1000:.0f} ms, "
            f"{queries} queries (target ≤ 1 s: {verdict})"
        )
        began, done, refused, slowest = time.perf_counter(), 0, 0, 0.0
        for unit in parents:
            one = time.perf_counter()
            try:
                quotas.quota_allocate(user=user, category=category, organization=unit)
                done += 1
            except quotas.QuotaError:
                refused += 1  # a unit its parent gave no row (never: minimum 0) or no children
            slowest = max(slowest, time.perf_counter() - one)
        total = time.perf_counter() - began
        print(
            f"[{category.name}] allocation, whole tree: {1 + done} allocations "
            f"({refused} refused), {seconds + total:.1f} s, slowest {slowest * 1000:.0f} ms"
        )


def nominate(round_, categories, user) -> None:
    """Bulk-insert the nominees as 复审通过 with their facts (see the module)."""
    from awards import eligibility
    from awards.models import Nomination
    from orgs.models import Member, Organization

    rng = random.Random(2011)
    now = dt.datetime.now(dt.UTC)
    for category in categories:
        began = time.perf_counter()
        if category.subject == "member":
            pool = list(
                Member.objects.filter(category=Member.Category.FULL)
                .select_related("organization")
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            ids = rng.sample(pool, category.total_quota)
            subjects = list(Member.objects.filter(pk__in=ids).select_related("organization"))
            unit_of = {s.pk: s.organization for s in subjects}
        else:
            pool = list(
                Organization.objects.filter(
                    children__isnull=True, is_active=True, parent__isnull=False
                ).values_list("pk", flat=True)
            )
            ids = rng.sample(pool, category.total_quota)
            subjects = list(Organization.objects.filter(pk__in=ids).select_related("parent"))
            unit_of = {s.pk: s.parent for s in subjects}
        results = eligibility.evaluate(category, subjects)
        member = category.subject == "member"
        rows = [
            Nomination(
                round=round_,
                category=category,
                unit=unit_of[s.pk],
                member=s if member else None,
                organization=None if member else s,
                summary=f"{s.name}：{DEEDS[i % len(DEEDS)]}"[:150],
                deeds=DEEDS[i % len(DEEDS)] * 4,
                facts=results[s.pk].as_json(),
                eligible=results[s.pk].eligible,
                state=Nomination.State.VETTED,
                created_by=user,
                moved_by=user,
                moved_at=now,
            )
            for i, s in enumerate(subjects)
        ]
        Nomination.objects.bulk_create(rows, batch_size=500)
        eligible = sum(r.eligible for r in rows)
        print(
            f"[{category.name}] {len(rows)} nominations bulk-inserted as 复审通过 with facts "
            f"({eligible} meet every rule): {time.perf_counter() - began:.2f} s"
        )


def ranking(categories) -> None:
    from awards import jobs

    for category in categories:
        rows, seconds, queries = _timed(lambda c=category: jobs.rank(c))
        print(
            f"[{category.name}] ranking job rank(): {len(rows)} ranked, {seconds:.2f} s, "
            f"{queries} queries"
        )


def finalise(round_, user) -> None:
    from awards import publicity
    from awards.models import Award, AwardRound

    publicity.round_move(round_=round_, verb="open", user=user)
    _r, seconds, queries = _timed(
        lambda: publicity.round_move(round_=round_, verb="publish", user=user)
    )
    print(f"publish (公示): {seconds:.2f} s, {queries} queries")
    # 公示 over: moved into the past, as if its days had passed.
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    AwardRound.objects.filter(pk=round_.pk).update(
        publicity_starts_at=past - dt.timedelta(days=round_.publicity_days),
        publicity_ends_at=past,
    )
    round_.refresh_from_db()
    _r, seconds, queries = _timed(
        lambda: publicity.round_move(round_=round_, verb="finalise", user=user)
    )
    round_.refresh_from_db()
    awards = Award.objects.filter(round=round_).count()
    print(
        f"finalise (表彰, {round_.decision_number}): {awards} Award rows through the workflow, "
        f"{seconds:.2f} s, {queries} queries ({queries / max(1, awards):.1f} per award)"
    )


def worker(spec: dict) -> None:
    """One document job, started and run as the office would (no broker: at commit, inline)."""
    _setup()
    from django.db import transaction

    from awards import document_jobs
    from awards.models import AwardRound
    from core.jobs import job_start
    from core.models import Job

    user = _office()
    round_ = AwardRound.objects.get(name=ROUND_NAME)
    kind = {"decision": document_jobs.DECISION}.get(spec["op"], document_jobs.CERTIFICATES)
    params = {"round": round_.pk}
    if spec["op"] == "zip":
        params["zip"] = True
    began = time.perf_counter()
    with transaction.atomic():
        job = job_start(kind=kind, user=user, params=params)
    seconds = time.perf_counter() - began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    job = Job.objects.get(pk=job.pk)
    size = job.output_file.size if job.output_file else 0
    pages = _pages(job.output_file.path) if job.output_file.name.endswith(".pdf") else 0
    if job.output_file:
        job.output_file.delete(save=False)
    Path(spec["result"]).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "rss": rss,
                "status": job.status,
                "error": job.error,
                "result": job.result,
                "bytes": size,
                "pages": pages,
            }
        )
    )


def _pages(path: str) -> int:
    import subprocess

    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True).stdout
    return next((int(x.split()[-1]) for x in info.splitlines() if x.startswith("Pages:")), 0)


def documents() -> list[dict]:
    out = []
    for op in ("decision", "certificates", "zip"):
        r = _child.run_worker(__file__, op)
        out.append(r)
        n = (r["result"] or {}).get("awardees") or (r["result"] or {}).get("certificates") or 0
        rate = f", {n / r['seconds']:.1f} certificates/s" if op != "decision" else ""
        print(
            f"{op:<13} job {r['status']}: {r['seconds']:6.2f} s, {n} awardees{rate}, "
            f"{r['pages'] or '-'} pages, peak RSS {r['rss']:.0f} MB, "
            f"{r['bytes'] / 1e6:.1f} MB out {r['error']}"
        )
        r["n"], r["op"] = n, op
    return out


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_worker":
        worker(json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {_load()}")
    if not args.reuse:
        awards_quota._recreate()
    _setup()
    from awards.models import Award, AwardRound, Nomination
    from campaign.models import Campaign
    from orgs import demo
    from orgs.models import Organization

    if not args.reuse:
        print(f"district loaded in {awards_quota._load(4000, 75000):.1f} s")
    root = Organization.objects.get(code=demo.ROOT_CODE)
    campaign = Campaign.objects.get(organization=root)
    Award.objects.filter(round__campaign=campaign).delete()
    Nomination.objects.filter(round__campaign=campaign).delete()
    AwardRound.objects.filter(campaign=campaign).delete()
    print(f"organisations {Organization.objects.count()}, campaign {campaign.name}")
    user = _office()
    round_, categories = _round_with_categories(campaign, user)
    allocate(categories, root, user)
    nominate(round_, categories, user)
    ranking(categories)
    finalise(round_, user)
    print(f"load average before the documents: {_load()}")
    results = documents()
    print("targets:")
    verdict = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    decision = results[0]
    print(
        f"  decision ≤ {DECISION_SECONDS:.0f} s: {decision['seconds']:.2f} s "
        f"{verdict(decision['seconds'] <= DECISION_SECONDS)}"
    )
    for r in results[1:]:
        rate = r["n"] / r["seconds"]
        print(
            f"  {r['op']} ≥ {CERTIFICATES_PER_SECOND:.0f}/s per worker: {rate:.1f}/s "
            f"{verdict(rate >= CERTIFICATES_PER_SECOND)}"
        )
    worst = max(r["rss"] for r in results)
    print(f"  peak RSS ≤ {RSS_MB} MB: {worst:.0f} MB {verdict(worst <= RSS_MB)}")
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
