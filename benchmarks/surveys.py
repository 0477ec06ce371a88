"""Benchmark: 群众评议 by one-time code (issue 11 §5).

On a scratch PostgreSQL database ``bench_surveys`` (``BENCH_PG_URL``, default
postgresql://root@127.0.0.1:5432), the test district (``tests.factories``) with
the Licheng campaign and 250 more branches under its street, a survey of the
street's units, then:

1. issue 75,000 codes: 250 batches of 300 through ``reviews.surveys.issue_codes``
   (keyed hashes, bulk insert), each in its transaction — codes per second
   (target ≥ 20,000/s), and one batch of 20,000 alone;
2. slips: ``reviews.survey_slips.render_slips`` for ``--slips`` codes (default
   2,000, two PDFs of 1,000 in a ZIP) — slips per second in one process
   (target ≥ 100/s per worker; 5,000 extrapolated);
3. the web form under load: gunicorn (``--workers``, default 3, DEBUG off)
   and ``--clients`` (20) threads, each answering codes as a phone would (GET
   the code's page, POST the answers with the CSRF token) until ``--answers``
   (20,000) are in — answers/s, p50/p95 of the POST and of GET+POST (target
   ≥ 150 answers/s, p95 ≤ 100 ms), then responses vs codes used and statuses
   (lost or double must be 0);
4. the district's results: ``subtree_summary`` on the root and ``subject_rows``
   over all subjects (target ≤ 2 s).

    .venv/bin/python benchmarks/surveys.py [--answers N] [--clients N] [--slips N]

The machine may be shared: the load average is printed. It asserts nothing.
"""

import argparse
import http.client
import os
import queue
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
DB = "bench_surveys"
PORT = 8771


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--slips", type=int, default=2000)
    args = parser.parse_args()
    import psycopg2

    admin = psycopg2.connect(f"{PG_URL}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB}")
        cursor.execute(f"CREATE DATABASE {DB}")
    folder = tempfile.mkdtemp()
    env = {
        "DATABASE_URL": f"{PG_URL}/{DB}",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "STATIC_ROOT": f"{folder}/static",
        "MEDIA_ROOT": f"{folder}/media",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{PORT}",
    }
    os.environ.update(env)
    os.environ.pop("CACHE_URL", None)
    sys.path.insert(0, str(ROOT))
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    subprocess.run(
        [python, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, check=True
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    try:
        survey, codes = build_and_issue()
        slips(survey, args.slips)
        web(survey, codes[: args.answers], args)
        results(survey)
    finally:
        from django.db import connections

        connections.close_all()
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DB}")


def build_and_issue():
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from reviews import surveys
    from reviews.models_surveys import SurveyCodeBatch, SurveySubject
    from tests.factories import OrganizationFactory, licheng_campaign, make_district

    district = make_district()
    campaign = licheng_campaign(district)
    for i in range(250):
        district.street.refresh_from_db()  # the tree's numbers move with each insert
        OrganizationFactory(
            code=f"R-S1-X{i:03d}",
            name=f"测试第{i}党支部",
            parent=district.street,
            sector=district.branch.sector,
        )
    district.root.refresh_from_db()
    today = timezone.localdate()
    survey = surveys.survey_create(
        user=district.users["office"],
        campaign=campaign,
        organization=district.root,
        title="基准测试群众评议",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=10),
    )
    subjects = list(
        SurveySubject.objects.filter(survey=survey, organization__code__startswith="R-S1-X")
    )
    print(f"subjects: {survey.subjects.count()} ({len(subjects)} branches of 300 codes)")
    codes: list[str] = []
    batches = [SurveyCodeBatch.objects.create(subject=s, size=300) for s in subjects]
    start = time.perf_counter()
    for batch in batches:
        with transaction.atomic():
            codes += surveys.issue_codes(batch)
            SurveyCodeBatch.objects.filter(pk=batch.pk).update(state=SurveyCodeBatch.State.ISSUED)
    took = time.perf_counter() - start
    print(
        f"1. codes issued: {len(codes)} in {took:.2f} s = {len(codes) / took:,.0f} codes/s "
        f"(250 batches of 300; target ≥ 20,000/s)"
    )
    one = SurveyCodeBatch.objects.create(subject=subjects[0], size=20000)
    start = time.perf_counter()
    with transaction.atomic():
        surveys.issue_codes(one)
        SurveyCodeBatch.objects.filter(pk=one.pk).update(state=SurveyCodeBatch.State.VOID)
    took = time.perf_counter() - start
    print(f"   one batch of 20,000: {took:.2f} s = {20000 / took:,.0f} codes/s")
    return survey, codes


def slips(survey, n: int) -> None:
    from reviews import surveys
    from reviews.models_surveys import SurveyCodeBatch
    from reviews.survey_slips import render_slips

    batch = SurveyCodeBatch.objects.filter(subject__survey=survey).select_related(
        "subject__organization", "subject__survey"
    )[0]
    codes = surveys.new_codes(n)  # not stored: only the rendering is measured
    start = time.perf_counter()
    name, data = render_slips(batch, codes)
    took = time.perf_counter() - start
    print(
        f"2. slips: {n} in {took:.1f} s = {n / took:.0f} slips/s in one process "
        f"({name.rsplit('.', 1)[-1]}, {len(data) / 1e6:.1f} MB; 5,000 ≈ {5000 / (n / took):.0f} s; "
        f"target ≥ 100 slips/s per worker)"
    )


def web(survey, codes: list[str], args) -> None:
    from django.db import connections

    from reviews import surveys
    from reviews.models_surveys import SurveyCode, SurveyResponse

    connections.close_all()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "config.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{PORT}",
         "--log-level", "warning", "--backlog", "256"],
        cwd=ROOT,
    )  # fmt: skip
    try:
        _wait()
        work: queue.Queue = queue.Queue()
        for code in codes:
            work.put(surveys.printed(code))
        posts: list[float] = []
        answers: list[float] = []
        statuses: dict[str, int] = {}
        lock = threading.Lock()

        def client() -> None:
            token = cookie = ""
            while True:
                try:
                    code = work.get_nowait()
                except queue.Empty:
                    return
                path = f"/pingyi/dm/{code}/"
                began = time.perf_counter()
                status, headers, body = _request("GET", path, cookie=cookie)
                if not token:
                    found = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
                    token = found.group(1) if found else ""
                    cookie = f"csrftoken={token}"
                form = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
                data = {"q0": "0", "q1": "1", "q2": "0", "opinion": ""}
                if form:
                    data["csrfmiddlewaretoken"] = form.group(1).decode()
                sent = time.perf_counter()
                status, _h, body = _request("POST", path, data=data, cookie=cookie)
                done = time.perf_counter()
                outcome = (
                    "done" if "感谢您的参与" in body.decode() and status == 200 else str(status)
                )
                with lock:
                    posts.append(done - sent)
                    answers.append(done - began)
                    statuses[outcome] = statuses.get(outcome, 0) + 1

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        start = time.perf_counter()
        own_cpu = time.process_time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - start
        own_cpu = time.process_time() - own_cpu
    finally:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server.terminate()
        server.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # gunicorn's master reaps its workers, so its usage holds theirs.
    server_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    responses = SurveyResponse.objects.filter(survey=survey).count()
    used = SurveyCode.objects.filter(batch__subject__survey=survey, used=True).count()

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0

    print(
        f"3. web answers: {len(answers)} by {args.clients} clients on gunicorn "
        f"-w {args.workers} in {took:.1f} s = {len(answers) / took:.0f} answers/s "
        f"(target ≥ 150/s)"
    )
    print(
        f"   POST p50 {pct(posts, 50):.0f} ms, p95 {pct(posts, 95):.0f} ms; "
        f"GET+POST p50 {pct(answers, 50):.0f} ms, p95 {pct(answers, 95):.0f} ms "
        f"(target p95 ≤ 100 ms)"
    )
    print(f"   outcomes: {statuses}")
    if answers:
        print(
            f"   CPU per answer: gunicorn {server_cpu / len(answers) * 1000:.1f} ms, "
            f"these clients {own_cpu / len(answers) * 1000:.1f} ms (PostgreSQL's not counted)"
        )
    print(
        f"   responses {responses}, codes used {used}, answered 'done' {statuses.get('done', 0)}: "
        f"lost {max(0, used - responses)}, double {max(0, responses - used)}"
    )


def results(survey) -> None:
    from reviews.survey_results import subject_rows, subtree_summary

    start = time.perf_counter()
    total = subtree_summary(survey, survey.organization)
    middle = time.perf_counter()
    rows = subject_rows(survey)
    end = time.perf_counter()
    print(
        f"4. district results: subtree {middle - start:.2f} s (满意率 {total.rate} %, "
        f"turnout {total.turnout} %), {len(rows)} subjects {end - middle:.2f} s "
        f"(target ≤ 2 s)"
    )


def _request(method: str, path: str, *, data=None, cookie: str = ""):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Host": "127.0.0.1"}
    body = None
    if cookie:
        headers["Cookie"] = cookie
    if data is not None:
        body = urllib.parse.urlencode(data)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{PORT}{path}"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    content = response.read()
    found = {k.lower(): v for k, v in response.getheaders()}
    connection.close()
    return response.status, found, content


def _wait() -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _request("GET", "/healthz/")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


if __name__ == "__main__":
    main()
