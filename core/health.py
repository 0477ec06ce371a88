"""What a load balancer asks before sending a web process requests: can it reach
the database and Redis, and is some Celery worker alive to run the jobs.

Each check answers ``(ok, detail)``; ``detail`` is a word or a number, never a
host name, a URL or an error text (the endpoint needs no login). The workers
write their sign of life (``WorkerBeat``) from a thread of the worker's main
process, started by ``config.celery`` when the worker is ready.
"""

import datetime as dt
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.utils import timezone

log = logging.getLogger(__name__)

Check = tuple[bool, str]


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        log.warning("health: database unreachable", exc_info=True)
        return False, "unreachable"
    return True, "ok"


def redis_urls() -> list[str]:
    """The Redis servers this deployment uses: the broker and the cache, when set."""
    urls = [settings.CELERY_BROKER_URL if not settings.CELERY_TASK_ALWAYS_EAGER else None]
    urls.append(getattr(settings, "CACHE_URL", None))
    return [url for url in dict.fromkeys(urls) if url and url.startswith(("redis://", "rediss://"))]


def check_redis() -> Check | None:
    """PING every configured Redis; None when none is configured (tasks inline)."""
    urls = redis_urls()
    if not urls:
        return None
    import redis

    for url in urls:
        try:
            client = redis.Redis.from_url(
                url, socket_connect_timeout=settings.HEALTH_TIMEOUT_SECONDS,
                socket_timeout=settings.HEALTH_TIMEOUT_SECONDS,
            )  # fmt: skip
            try:
                client.ping()
            finally:
                client.close()
        except redis.RedisError:
            log.warning("health: Redis unreachable", exc_info=True)
            return False, "unreachable"
    return True, "ok"


def check_workers() -> Check | None:
    """Whether a worker wrote its sign of life within ``WORKER_STALE_SECONDS``; None
    when there is no broker (jobs run inline in the web process)."""
    from core.models import WorkerBeat

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    since = timezone.now() - dt.timedelta(seconds=settings.WORKER_STALE_SECONDS)
    try:
        alive = WorkerBeat.objects.filter(beat_at__gte=since).count()
    except DatabaseError:
        return False, "unknown"
    return (alive > 0), f"{alive} alive"


CHECKS: dict[str, Callable[[], Check | None]] = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_workers,
}


def report() -> tuple[bool, dict[str, dict[str, object]]]:
    """Every check that applies, and whether all passed (the database first: the
    worker check reads it)."""
    results: dict[str, dict[str, object]] = {}
    healthy = True
    for name, check in CHECKS.items():
        outcome = check()
        if outcome is None:
            results[name] = {"ok": True, "detail": "not configured"}
            continue
        ok, detail = outcome
        healthy = healthy and ok
        results[name] = {"ok": ok, "detail": detail}
    return healthy, results


# ------------------------------------------------------------------ the worker side


def worker_beat(name: str) -> None:
    """Record that worker ``name`` is alive now (one upsert)."""
    from core.models import WorkerBeat

    WorkerBeat.objects.update_or_create(name=name[:200], defaults={"beat_at": timezone.now()})


def worker_gone(name: str) -> None:
    """A worker that shuts down cleanly takes its sign of life with it."""
    from core.models import WorkerBeat

    try:
        WorkerBeat.objects.filter(name=name[:200]).delete()
    except DatabaseError:
        log.warning("worker %s: heartbeat row not removed", name, exc_info=True)


class Heartbeat:
    """A daemon thread that calls ``worker_beat`` every ``WORKER_HEARTBEAT_SECONDS``.

    The connection is closed after each write, so a worker child forked in
    between (prefork replaces children) inherits no open database socket.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="worker-heartbeat")

    def start(self) -> "Heartbeat":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                worker_beat(self.name)
            except DatabaseError:  # the next beat tries again
                log.warning("worker %s: heartbeat not written", self.name, exc_info=True)
            finally:
                connections.close_all()  # this thread's connections only
            self.stopped.wait(settings.WORKER_HEARTBEAT_SECONDS)
