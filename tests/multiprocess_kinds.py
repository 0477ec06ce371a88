"""A job kind for tests/test_multiprocess.py, loaded by its Celery workers with
``-I tests.multiprocess_kinds`` (and by the test process, which queues it): it
sleeps long enough that two workers must share a batch, and records which
process ran it."""

import os
import time

from core.jobs import register


@register("mp_sleep", "测试：等待")
def run_sleep(job, report) -> None:
    time.sleep(float(job.params.get("seconds", 1)))
    job.result = {"pid": os.getpid()}
    job.save(update_fields=["result"])
