"""Celery entry points: thin wrappers that load by id and call core.jobs."""

from celery import shared_task

from core import jobs, reminders


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(self, job_id: int) -> None:
    """Run the job with this id; a second delivery of a finished job does nothing."""
    jobs.job_run(job_id, worker="" if self.request.is_eager else self.request.hostname or "")


@shared_task(ignore_result=True)
def sweep_jobs() -> int:
    """Periodic (beat): re-queue jobs that the broker lost or a dead worker left running."""
    return jobs.jobs_sweep()


@shared_task(ignore_result=True)
def send_reminders() -> dict[str, int]:
    """Daily (beat, 08:00 Asia/Shanghai): the deadline reminders due today, each
    once per user and deadline (``core.reminders``). Safe to run twice."""
    return reminders.reminders_send()
