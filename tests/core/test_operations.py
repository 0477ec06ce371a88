"""Issue 13 §5 in one process: the health endpoint, the worker heartbeat, the
structured logs and the S3-compatible storage (against moto's fake bucket)."""

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from core import health, logs
from core.models import Job, WorkerBeat

ROOT = Path(__file__).resolve().parents[2]


def _health(client):
    response = client.get(reverse("healthz"))
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, json.loads(response.content)


# ---------------------------------------------------------------- /healthz/


@pytest.mark.django_db
def test_without_broker_only_the_database_is_checked(client):
    status, body = _health(client)
    assert status == 200 and body["status"] == "ok"
    assert body["checks"] == {
        "database": {"ok": True, "detail": "ok"},
        "redis": {"ok": True, "detail": "not configured"},
        "worker": {"ok": True, "detail": "not configured"},
    }


@pytest.fixture
def with_broker(settings):
    """As with CELERY_BROKER_URL set, the Redis ping stubbed to answer."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/13"
    return settings


@pytest.mark.django_db
def test_a_broker_without_a_live_worker_is_unhealthy(client, with_broker, monkeypatch):
    monkeypatch.setattr(health, "check_redis", lambda: (True, "ok"))
    monkeypatch.setitem(health.CHECKS, "redis", health.check_redis)
    status, body = _health(client)
    assert status == 503 and body["status"] == "unhealthy"
    assert body["checks"]["worker"] == {"ok": False, "detail": "0 alive"}

    health.worker_beat("celery@host-a")
    status, body = _health(client)
    assert status == 200 and body["checks"]["worker"] == {"ok": True, "detail": "1 alive"}

    stale = timezone.now() - dt.timedelta(seconds=with_broker.WORKER_STALE_SECONDS + 1)
    WorkerBeat.objects.update(beat_at=stale)
    status, body = _health(client)
    assert status == 503 and body["checks"]["worker"]["ok"] is False

    health.worker_beat("celery@host-a")  # beats again
    health.worker_beat("celery@host-b")
    assert _health(client)[1]["checks"]["worker"]["detail"] == "2 alive"
    health.worker_gone("celery@host-a")  # a clean shutdown removes its row
    assert list(WorkerBeat.objects.values_list("name", flat=True)) == ["celery@host-b"]


@pytest.mark.django_db
def test_an_unreachable_redis_is_unhealthy_and_not_named(client, with_broker):
    with_broker.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    health.worker_beat("celery@host-a")
    status, body = _health(client)
    assert status == 503
    assert body["checks"]["redis"] == {"ok": False, "detail": "unreachable"}
    assert "127.0.0.1" not in json.dumps(body)


@pytest.mark.django_db
def test_an_unreachable_database_is_unhealthy(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused to db.internal:5432")

    monkeypatch.setattr(health.connection, "cursor", refuse)
    status, body = _health(client)
    assert status == 503
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable"}
    assert "db.internal" not in json.dumps(body)


def test_redis_urls_are_the_broker_and_the_cache(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CACHE_URL = None
    assert health.redis_urls() == []
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://broker:6379/0"
    settings.CACHE_URL = "redis://cache:6379/1"
    assert health.redis_urls() == ["redis://broker:6379/0", "redis://cache:6379/1"]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_writes_until_stopped(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 1
    beat = health.Heartbeat("celery@thread").start()
    try:
        deadline = time.monotonic() + 10
        while not WorkerBeat.objects.filter(name="celery@thread").exists():
            assert time.monotonic() < deadline, "no heartbeat written"
            time.sleep(0.1)
        first = WorkerBeat.objects.get().beat_at
        deadline = time.monotonic() + 10
        while WorkerBeat.objects.get().beat_at == first:
            assert time.monotonic() < deadline, "the heartbeat did not beat again"
            time.sleep(0.2)
    finally:
        beat.stop()
    assert not beat.thread.is_alive()


# ---------------------------------------------------------------- logs


def _records(caplog, name):
    return [r for r in caplog.records if r.name == name]


@pytest.mark.django_db
def test_each_request_logs_its_id_user_path_status_and_duration(client, district, caplog):
    user = district.users["office"]
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="core.requests"):
        response = client.get(reverse("home"), HTTP_X_REQUEST_ID="lb-1234.abc")
        client.logout()
        anonymous = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="bad id\nforged")
    assert response["X-Request-ID"] == "lb-1234.abc"
    assert anonymous["X-Request-ID"] != "bad id\nforged" and len(anonymous["X-Request-ID"]) == 32
    home, check = _records(caplog, "core.requests")
    assert (home.request_id, home.user_id, home.path, home.status, home.method) == (
        "lb-1234.abc",
        user.pk,
        "/",
        200,
        "GET",
    )
    assert home.duration_ms > 0
    assert check.user_id is None and check.path == "/healthz/"


@pytest.mark.django_db
def test_a_survey_code_in_the_path_is_logged_as_its_route(client, caplog):
    with caplog.at_level(logging.INFO):
        client.get(reverse("survey_code", args=["ABCD-EFGH-2345"]))
    line = _records(caplog, "core.requests")[0]
    assert line.path == "/pingyi/dm/<str:code>/"
    formatted = [logs.JsonFormatter().format(r) for r in caplog.records]
    for record in caplog.records:
        logs.ContextFilter().filter(record)
    formatted += [logs.JsonFormatter().format(r) for r in caplog.records]
    assert not any("ABCD-EFGH-2345" in text for text in formatted)


def test_json_lines_carry_the_context_and_the_traceback():
    record = logging.LogRecord("core.jobs", logging.ERROR, __file__, 1, "job %s failed", (7,), None)
    record.job_state = "failed"
    with logs.context(job_id=7, job_kind="export"):
        logs.ContextFilter().filter(record)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["message"] == "job 7 failed" and entry["level"] == "ERROR"
    assert (entry["job_id"], entry["job_kind"], entry["job_state"]) == (7, "export", "failed")
    assert "ValueError: boom" in entry["exc"]
    assert entry["time"].endswith("+00:00")
    text = logs.TextFormatter().format(record)
    assert "job 7 failed [job_state=failed job_id=7 job_kind=export]" in text


@pytest.mark.django_db
def test_a_job_logs_its_id_kind_and_states(
    district, login, django_capture_on_commit_callbacks, caplog
):
    client = login(district.users["office"])
    with (
        caplog.at_level(logging.INFO, logger="core.jobs"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("orgs:export", kwargs={"target": "organizations", "fmt": "csv"}))
    job = Job.objects.get()
    states = [
        (r.job_id, r.job_kind, r.job_state)
        for r in _records(caplog, "core.jobs")
        if hasattr(r, "job_state")
    ]
    assert states == [(job.pk, "export", "running"), (job.pk, "export", "succeeded")]
    assert job.worker == ""  # ran inline, in this process


@pytest.mark.parametrize(
    ("value", "ok"), [("json", True), ("text", True), ("JSON", True), ("yaml", False)]
)
def test_log_format_is_json_or_text(value, ok):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=os.environ | {"LOG_FORMAT": value, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert (result.returncode == 0) is ok, result.stderr[-500:]
    if not ok:
        assert "LOG_FORMAT must be json or text" in result.stderr


# ---------------------------------------------------------------- storage


def test_s3_bucket_in_the_environment_selects_s3_storage():
    code = "from django.conf import settings; import json; print(json.dumps(settings.STORAGES['default']))"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "S3_BUCKET": "cxzy-files",
        "S3_ENDPOINT_URL": "http://minio:9000",
        "S3_ACCESS_KEY_ID": "key",
        "S3_SECRET_ACCESS_KEY": "secret",
    }
    env.pop("S3_REGION", None)
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    default = json.loads(out.splitlines()[-1])
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"]) == ("cxzy-files", "http://minio:9000")
    assert (options["access_key"], options["secret_key"]) == ("key", "secret")
    assert options["file_overwrite"] is False and options["default_acl"] is None
    env.pop("S3_BUCKET")
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert json.loads(out.splitlines()[-1])["BACKEND"].endswith("FileSystemStorage")


@pytest.fixture
def bucket(settings, monkeypatch):
    """Default storage on a fake S3 bucket (moto, in this process)."""
    moto = pytest.importorskip("moto")
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="cxzy-test")
        settings.STORAGES = settings.STORAGES | {
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": "cxzy-test", "region_name": "us-east-1",
                            "default_acl": None, "file_overwrite": False},
            }
        }  # fmt: skip
        yield s3


@pytest.mark.django_db
def test_an_import_upload_and_an_export_file_live_in_the_bucket(
    district, login, bucket, settings, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.orgs.test_imports import ORG_HEADERS, csv_bytes

    client = login(district.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orgs:export", kwargs={"target": "organizations", "fmt": "csv"}))
    export = Job.objects.get(kind="export")
    assert export.status == Job.Status.SUCCEEDED, export.error
    stored = bucket.get_object(Bucket="cxzy-test", Key=export.output_file.name)["Body"].read()
    download = client.get(reverse("core:job_download", kwargs={"pk": export.pk}))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == stored
    assert "中共测试区委" in stored.decode("utf-8-sig")

    upload = SimpleUploadedFile("orgs.csv", csv_bytes(ORG_HEADERS, []), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orgs:import_upload"), {"target": "organizations", "file": upload})
    preview = Job.objects.exclude(kind="export").get()
    assert preview.input_file.name.startswith("jobs/in/")
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket="cxzy-test")["Contents"]]
    assert preview.input_file.name in keys and export.output_file.name in keys
    assert not (Path(settings.MEDIA_ROOT) / "jobs").exists()  # nothing on the local disk


def test_the_health_check_is_not_redirected_to_https():
    """A balancer asks each backend over plain HTTP; every other page still goes to HTTPS."""
    code = (
        "import django; django.setup()\n"
        "from django.middleware.security import SecurityMiddleware\n"
        "from django.test import RequestFactory\n"
        "m = SecurityMiddleware(lambda r: None)\n"
        "f = RequestFactory(HTTP_HOST='cxzy.example.gov.cn')\n"
        "for path in ('/healthz/', '/', '/login/'):\n"
        "    r = m.process_request(f.get(path))\n"
        "    print(path, r.status_code if r else 'served')\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "cxzy.example.gov.cn",
    }
    env.pop("SECURE_SSL_REDIRECT", None)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[-4:-1] == ["/healthz/ served", "/ 301", "/login/ 301"]
