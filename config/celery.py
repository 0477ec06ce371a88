"""The Celery app. Tasks take ids and are queued with transaction.on_commit."""

import os

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_heartbeat = None


@worker_ready.connect
def _start_heartbeat(sender=None, **kwargs):
    """Each worker's main process writes its sign of life for the health endpoint
    (core.health) until it shuts down."""
    global _heartbeat
    from core.health import Heartbeat

    if _heartbeat is None:
        _heartbeat = Heartbeat(sender.hostname).start()


@worker_shutdown.connect
def _stop_heartbeat(sender=None, **kwargs):
    global _heartbeat
    from core.health import worker_gone

    if _heartbeat is not None:
        _heartbeat.stop()
        worker_gone(_heartbeat.name)
        _heartbeat = None
