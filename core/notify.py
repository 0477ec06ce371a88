"""站内通知: the moves that concern a user, written where the move is made.

Every state change goes through ``core.workflow.apply``, which calls ``moved``
inside the move's transaction (the notice is written with the move or not at
all). What a move means to whom is the app's business: each app registers
``recipients(obj, actor, reason) -> Notice | None`` for a model and verb from
its ``hooks.py`` (``@notify.register("campaign.plan", "return")``), so core
imports none of them. The actor is never told of their own move.

Reminders of deadlines (``core.reminders``) write their notices here too.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone, translation

from core.models import Notification
from core.registry import Registry


@dataclass(frozen=True)
class Notice:
    """Who is told, what (in Chinese, the object named), and where to act."""

    user_ids: Iterable[int]
    text: str
    url: str = ""


Recipients = Callable[[Any, Any, str], "Notice | None"]

_recipients: Registry[Recipients] = Registry()


def register(model_label: str, verb: str) -> Callable[[Recipients], Recipients]:
    """Register who hears of ``verb`` on ``model_label`` (``app_label.model``)."""
    return _recipients.register(f"{model_label}:{verb}")


def registered() -> dict[str, Recipients]:
    return _recipients.registered()


def moved(obj: Model, verb: str, *, actor: Any, reason: str = "") -> list[Notification]:
    """Called by ``workflow.apply`` after a move is saved, in its transaction."""
    entry = _recipients.entries.get(f"{obj._meta.label_lower}:{verb}")
    if entry is None:
        return []
    # The text is stored, so it is written in the site's language, whatever the actor's.
    with translation.override(settings.LANGUAGE_CODE):
        notice = entry(obj, actor, reason)
    if notice is None:
        return []
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    users = [pk for pk in notice.user_ids if pk != actor_id]
    return notify(user_ids=users, verb=verb, text=notice.text, url=notice.url, about=obj)


def notify(
    *, user_ids: Iterable[int], verb: str, text: str, url: str = "", about: Model | None = None
) -> list[Notification]:
    """Write one notification per user (each user once), in one statement."""
    label = about._meta.label_lower if about is not None else ""
    about_id = about.pk if about is not None else None
    now = timezone.now()
    rows = [
        Notification(
            user_id=pk,
            verb=verb[:32],
            text=text[:300],
            url=url[:300],
            about=label,
            about_id=about_id,
            created_at=now,
        )
        for pk in dict.fromkeys(user_ids)
    ]
    return Notification.objects.bulk_create(rows) if rows else []


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody reads another's)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk)


def unread_count(user: Any) -> int:
    """The menu's figure: one count over the partial index of unread rows."""
    return notifications_for(user).filter(read_at__isnull=True).count()


def notification_read(*, user: Any, notification: Notification) -> None:
    """Mark one of the user's notifications read (already read stays as it was)."""
    notifications_for(user).filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_read_all(*, user: Any) -> int:
    """Mark all the user's unread notifications read; returns how many."""
    return notifications_for(user).filter(read_at__isnull=True).update(read_at=timezone.now())
