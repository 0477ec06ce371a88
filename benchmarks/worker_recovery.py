"""Benchmark: how long a job whose worker is killed stays 进行中 before another
worker takes it over and finishes it.

Production shape on PostgreSQL and Redis: a Celery worker (prefork, one child)
and beat (the sweeper, every 60 s) as separate processes. A job of the
benchmark kind ``bench_sleep`` (benchmarks/_bench_kinds.py: sleeps, reporting
progress) starts on worker A; once its heartbeat shows, worker A's whole
process group is SIGKILLed (as the kernel's OOM killer or a host failure
would), and worker B is started. The script polls the job row and prints when
the job was claimed again and when it ended.

    .venv/bin/python benchmarks/worker_recovery.py [--lost-after 60] [--job-seconds 10]

Scratch database ``bench_recovery`` on ``BENCH_PG_URL`` (default
postgresql://root@127.0.0.1:5432), Redis database 9 on ``BENCH_REDIS_URL``.
It prints figures; it asserts nothing.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
DB = "bench_recovery"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lost-after", type=int, default=60, help="JOB_LOST_AFTER_SECONDS")
    parser.add_argument("--heartbeat", type=int, default=15, help="JOB_HEARTBEAT_SECONDS")
    parser.add_argument("--job-seconds", type=int, default=10)
    args = parser.parse_args()

    import psycopg2
    import redis

    admin = psycopg2.connect(f"{PG_URL}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB}")
        cursor.execute(f"CREATE DATABASE {DB}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = os.environ | {
        "DATABASE_URL": f"{PG_URL}/{DB}",
        "CELERY_BROKER_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "JOB_LOST_AFTER_SECONDS": str(args.lost_after),
        "JOB_HEARTBEAT_SECONDS": str(args.heartbeat),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    python = sys.executable
    celery = str(Path(python).parent / "celery")
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)

    sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]
    import django

    django.setup()
    import _bench_kinds  # noqa: F401  (registers bench_sleep here too)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import transaction

    from core.jobs import job_start
    from core.models import Job

    def worker(name: str) -> subprocess.Popen:
        return subprocess.Popen(
            [celery, "-A", "config", "worker", "-I", "_bench_kinds", "-c", "1",
             "-n", f"{name}@bench", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip

    beat = subprocess.Popen(
        [celery, "-A", "config", "beat", "--loglevel", "WARNING",
         "--schedule", f"/tmp/{DB}-beat-schedule"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    a = worker("a")
    b = None
    try:
        user = User.objects.create_superuser("bench", password="x")
        with transaction.atomic():
            job = job_start(kind="bench_sleep", user=user, params={"seconds": args.job_seconds})
        started = time.monotonic()
        row = _wait(job.pk, lambda j: j.status == Job.Status.RUNNING and j.progress > 0, 120)
        print(f"job running on worker A after {time.monotonic() - started:.1f} s "
              f"(attempt {row.attempts}, progress {row.progress} %)")  # fmt: skip
        os.killpg(a.pid, signal.SIGKILL)
        a.wait()
        killed = time.monotonic()
        print("worker A's process group killed (SIGKILL)")
        b = worker("b")
        row = _wait(job.pk, lambda j: j.attempts >= 2 or j.status == Job.Status.FAILED, 600)
        claimed = time.monotonic() - killed
        print(f"claimed again after {claimed:.1f} s (attempt {row.attempts}, status {row.status})")
        row = _wait(job.pk, lambda j: j.status in (Job.Status.SUCCEEDED, Job.Status.FAILED), 600)
        print(f"ended {row.get_status_display()} ({row.status}) {time.monotonic() - killed:.1f} s "
              f"after the kill; error: {row.error or '—'}")  # fmt: skip
        print(f"settings: JOB_LOST_AFTER_SECONDS={args.lost_after}, "
              f"JOB_HEARTBEAT_SECONDS={args.heartbeat}, JOB_SWEEP_SECONDS={settings.JOB_SWEEP_SECONDS} (beat), "
              f"job length {args.job_seconds} s")  # fmt: skip
    finally:
        for process in (a, b, beat):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait()
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def _wait(pk: int, done, timeout: float):
    from core.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = Job.objects.get(pk=pk)
        if done(row):
            return row
        time.sleep(0.5)
    raise SystemExit(f"job {pk} did not get there in {timeout} s: {row.status} {row.message}")


if __name__ == "__main__":
    main()
