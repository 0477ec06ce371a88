import os

import pytest

# Playwright's sync API runs an event loop in the test thread; live_server is sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The menu's 待办 figure is counted on every page, as before it was kept
    # (core.todo.badge_total): query counts compare page with page. The test of
    # the kept figure sets its own.
    settings.TODO_BADGE_SECONDS = 0
    # Real hashing costs ~0.3 s a password; the district fixture makes seven users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the menu's kept 待办 figures are by
    user id, and ids come again in the next test's rolled-back database."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site language and leaves the thread as it found it.

    A request with the English cookie activates English for the thread and
    nothing turns it off (the next real request activates its own language);
    pytest-django runs the database tests first, so without this every test
    after tests/test_english.py ran in English when the suite ran in one process.
    """
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def postgres_only():
    """Skip where the suite runs on SQLite (concurrency and planner tests)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def district(db):
    from tests.factories import make_district

    return make_district()


@pytest.fixture
def campaign(district):
    """The Licheng seed campaign (phases, rubrics, sector guidance) on the district."""
    from tests.factories import licheng_campaign

    return licheng_campaign(district)


@pytest.fixture
def login(client):
    """Log the test client in as a user of the district (None = stay anonymous)."""

    def as_user(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return as_user


@pytest.fixture
def celery_worker_on_redis(transactional_db):
    """A real Celery worker (in a thread) consuming from Redis.

    Runs only where TEST_CELERY_BROKER_URL is set (.ci/run sets it when Redis
    answers); each xdist process gets its own queue so workers never take each
    other's tasks (each process has its own test database).
    """
    broker = os.environ.get("TEST_CELERY_BROKER_URL")
    if not broker:
        pytest.skip("TEST_CELERY_BROKER_URL is not set: no Redis for a real worker")
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    queue = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    use_broker(app, broker_url=broker, task_always_eager=False, task_default_queue=queue)
    try:
        with start_worker(
            app, perform_ping_check=False, queues=[queue], pool="solo", loglevel="WARNING"
        ) as worker:
            yield worker
    finally:
        use_broker(app, **saved)


def use_broker(app, **conf):
    """Point the Celery app elsewhere; its cached connection pools must go too."""
    app.conf.update(conf)
    app._pool = None
    app.amqp._producer_pool = None
