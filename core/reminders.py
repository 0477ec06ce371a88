"""Deadline reminders: each once per user and deadline, safe to run twice.

Each app registers, from its ``hooks.py``, a source per kind of deadline:
``@reminders.register("reviews.round_closing")`` on ``source(today) ->
iterable of Due`` (who, about which record, its deadline, the text and where to
act). ``reminders_send`` (the daily beat job ``core.tasks.send_reminders`` and
``manage.py send_reminders``) asks them all and, per user, inserts a
``Reminder`` row unique on (user, kind, object, deadline) with
``get_or_create``: the insert that wins writes the notification in the same
transaction and sends the channels after commit; a second run, or a second
worker racing the first, finds the row (on PostgreSQL it waits on the first
insert's lock and then sees it) and sends nothing.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import channels, notify
from core.models import Reminder
from core.registry import Registry


@dataclass(frozen=True)
class Due:
    """One deadline and the users it is for."""

    user_ids: Iterable[int]
    about: models.Model
    deadline: dt.date
    text: str
    url: str = ""


Source = Callable[[dt.date], Iterable[Due]]

_sources: Registry[Source] = Registry()
register = _sources.register
registered = _sources.registered


def lead_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """Deadlines from today to ``REMINDER_LEAD_DAYS`` ahead are reminded of."""
    return today, today + dt.timedelta(days=settings.REMINDER_LEAD_DAYS)


def reminders_send(*, today: dt.date | None = None, kinds: Iterable[str] = ()) -> dict[str, int]:
    """Send every reminder due today that has not gone yet; returns how many went
    per kind. ``kinds`` limits the run to some sources."""
    today = today or timezone.localdate()
    wanted = set(kinds)
    sent: dict[str, int] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for kind, source in registered().items():
            if wanted and kind not in wanted:
                continue
            sent[kind] = 0
            for due in source(today):
                for user_id in dict.fromkeys(due.user_ids):
                    sent[kind] += reminder_send_once(kind=kind, due=due, user_id=user_id)
    return sent


def reminder_send_once(*, kind: str, due: Due, user_id: int) -> int:
    """1 if this call sent the reminder, 0 if it had gone already."""
    with transaction.atomic():
        _row, created = Reminder.objects.get_or_create(
            user_id=user_id,
            kind=kind,
            about=due.about._meta.label_lower,
            about_id=due.about.pk,
            deadline=due.deadline,
        )
        if not created:
            return 0
        notify.notify(
            user_ids=[user_id], verb="remind", text=due.text, url=due.url, about=due.about
        )
        subject = _("截止提醒")
        text = due.text + (f"\n{settings.PUBLIC_BASE_URL}{due.url}" if due.url else "")
        transaction.on_commit(lambda: _deliver(user_id, subject, text))
    return 1


def _deliver(user_id: int, subject: str, text: str) -> Any:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        channels.send(user, subject, text)
