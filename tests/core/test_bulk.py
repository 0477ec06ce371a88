"""core.bulk.update_fields: many rows' fields in one statement per batch
(PostgreSQL) or one prepared statement per row, written as given."""

import datetime as dt

import pytest
from django.utils import timezone

from core import bulk
from core.models import Job
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_fields_asked_for_are_written_and_nothing_else(monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 2)  # several statements on PostgreSQL
    user = UserFactory()
    jobs = [Job.objects.create(kind="k", message=f"m{n}", created_by=user) for n in range(5)]
    when = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    for n, job in enumerate(jobs):
        job.params = {"n": n, "名称": "第一党支部", "list": [1, None]} if n % 2 else {}
        job.progress = 10 * n
        job.finished_at = when if n < 3 else None
        job.created_by = None if n == 4 else user
        job.message = "not written"
    bulk.update_fields(Job, jobs[1:], ["params", "progress", "finished_at", "created_by"])
    stored = {j.pk: j for j in Job.objects.all()}
    assert stored[jobs[0].pk].progress == 0 and stored[jobs[0].pk].params == {}
    for n, job in enumerate(jobs[1:], start=1):
        row = stored[job.pk]
        assert row.params == ({"n": n, "名称": "第一党支部", "list": [1, None]} if n % 2 else {})
        assert row.progress == 10 * n
        assert row.finished_at == (when if n < 3 else None)
        assert row.created_by_id == (None if n == 4 else user.pk)
        assert row.message == f"m{n}"  # not among the fields asked for
    bulk.update_fields(Job, [], ["progress"])  # nothing to write is no statement
