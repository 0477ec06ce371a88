"""A job kind for benchmarks/worker_recovery.py only: it sleeps, reporting
progress, so a worker can be killed while it runs. Loaded into the worker with
``celery -I _bench_kinds`` (benchmarks/ on PYTHONPATH); the app never imports it."""

import time

from core.jobs import register


@register("bench_sleep", "基准测试任务", allowed=lambda user: True, reach=lambda job, user: False)
def bench_sleep(job, report) -> None:
    seconds = int(job.params.get("seconds", 20))
    for second in range(seconds):
        report(int(100 * second / seconds), f"第 {second + 1} 秒")
        time.sleep(1)
    job.result = {"slept": seconds}
    job.save(update_fields=["result"])
