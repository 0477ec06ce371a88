"""The audit trail: every write path records who changed what, when, before and after.

Why not a library: django-simple-history and django-auditlog hook model
signals, which ``bulk_create``/``bulk_update``/``COPY`` (our imports) never
send; django-pghistory uses PostgreSQL triggers, which SQLite (development and
half of the test matrix) does not run and which cannot know the acting user
without extra plumbing. So the writers record explicitly: services call
``record()``; importers build entries in bulk (``record_many()``, COPY on
PostgreSQL). Who and through what come from ``acting()``, set once per request
(middleware), command or job.
"""

import contextvars
import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from core.models import AuditEntry

Action = AuditEntry.Action
Source = AuditEntry.Source


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    source: str
    job_id: int | None = None


SYSTEM = Actor(None, "系统", Source.SYSTEM)
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


def actor_for(user: Any, source: str, job_id: int | None = None) -> Actor:
    if user is not None and getattr(user, "is_authenticated", False):
        name = user.get_full_name() or user.get_username()
        return Actor(
            user.pk,
            f"{name}（{user.get_username()}）" if name != user.get_username() else name,
            source,
            job_id,
        )
    return Actor(None, "系统", source, job_id)


@contextmanager
def acting(user: Any, source: str, job_id: int | None = None) -> Iterator[Actor]:
    """Attribute every change made inside the block to ``user`` via ``source``."""
    actor = actor_for(user, source, job_id)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def current_actor() -> Actor:
    return _current.get()


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def snapshot(instance: Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The instance's concrete field values, JSON-ready (foreign keys as ids)."""
    names = fields or [f.attname for f in instance._meta.concrete_fields if f.attname not in _SKIP]
    return {name: _plain(getattr(instance, name)) for name in names}


_SKIP = {"lft", "rght", "tree_id", "level", "created_at", "updated_at", "password", "last_login"}


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """{field: [before, after]} for fields that differ."""
    before, after = before or {}, after or {}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def entry(
    *,
    action: str,
    model: str,
    object_id: Any,
    object_repr: str,
    changes: dict[str, list[Any]],
    organization_id: int | None = None,
    at: dt.datetime | None = None,
    verb: str = "",
) -> AuditEntry:
    actor = current_actor()
    return AuditEntry(
        at=at or timezone.now(),
        actor_id=actor.user_id,
        actor_name=actor.name[:150],
        source=actor.source,
        action=action,
        verb=verb,
        model=model,
        object_id=str(object_id),
        object_repr=str(object_repr)[:200],
        organization_id=organization_id,
        changes=changes,
        job_id=actor.job_id,
    )


def record(
    instance: Model,
    action: str,
    before: dict[str, Any] | None = None,
    *,
    organization_id: int | None = None,
    verb: str = "",
) -> AuditEntry | None:
    """Record one change of ``instance`` (after the write; pass the snapshot taken before).
    ``verb`` names the workflow move that made it (core.workflow)."""
    after = None if action == Action.DELETE else snapshot(instance)
    changes = diff(before, after)
    if action == Action.UPDATE and not changes:
        return None
    item = entry(
        action=action,
        model=instance._meta.label_lower,
        object_id=instance.pk,
        object_repr=str(instance),
        changes=changes,
        organization_id=organization_id,
        verb=verb,
    )
    item.save()
    return item


Row = tuple[str, str, Any, str, "int | None", dict[str, Any], str]
"""(action, model label, object id, object text, organisation id, changes, bulk rows as CSV)"""

COLUMNS = [
    "at",
    "actor_id",
    "actor_name",
    "source",
    "action",
    "verb",
    "model",
    "object_id",
    "object_repr",
    "organization_id",
    "changes",
    "job_id",
    "rows",
]


def record_many(rows: Iterable[Row]) -> int:
    """Write many entries at once, attributed to the current actor.

    Imports write thousands: plain tuples, no model instances, and COPY on
    PostgreSQL. Returns how many were written.
    """
    actor, at = current_actor(), timezone.now()
    if connection.vendor != "postgresql":
        entries = [
            AuditEntry(
                at=at,
                actor_id=actor.user_id,
                actor_name=actor.name[:150],
                source=actor.source,
                action=action,
                model=model,
                object_id=str(object_id),
                object_repr=text[:200],
                organization_id=organization_id,
                changes=changes,
                job_id=actor.job_id,
                rows=bulk,
            )
            for action, model, object_id, text, organization_id, changes, bulk in rows
        ]
        AuditEntry.objects.bulk_create(entries, batch_size=2000)
        return len(entries)
    stamp = at.isoformat()
    actor_id = "" if actor.user_id is None else actor.user_id
    job_id = "" if actor.job_id is None else actor.job_id
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_plain).encode
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for action, model, object_id, text, organization_id, changes, bulk in rows:
        organization = "" if organization_id is None else organization_id
        writer.writerow(
            (
                stamp,
                actor_id,
                actor.name[:150],
                actor.source,
                action,
                "",
                model,
                object_id,
                text[:200],
                organization,
                dumps(changes),
                job_id,
                bulk,
            )
        )
        count += 1
    buffer.seek(0)
    not_null = "actor_name, source, action, verb, model, object_id, object_repr, rows"
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {AuditEntry._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN WITH "
            f"(FORMAT csv, FORCE_NOT_NULL ({not_null}))",
            buffer,
        )
    return count


def bulk_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """The ``rows`` text of an import entry."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def history(organization_id: int, limit: int = 30) -> list[AuditEntry]:
    """Recent entries about an organisation and the records under it, with readable lines."""
    from django.apps import apps

    from core.workflow import verb_label

    entries = list(AuditEntry.objects.filter(organization_id=organization_id)[:limit])
    models: dict[str, Any] = {}
    for item in entries:
        try:
            models[item.model] = apps.get_model(item.model)
        except LookupError:
            models[item.model] = None
    names = _related_names(entries, models)
    for item in entries:
        model = models[item.model]
        item.model_name = str(model._meta.verbose_name) if model else item.model
        item.action_label = (
            str(verb_label(item.model, item.verb)) if item.verb else item.get_action_display()
        )
        if item.rows:
            item.lines = list(_bulk_lines(item.rows))
        else:
            item.lines = [
                (
                    _label(model, name),
                    _display(model, name, before, names),
                    _display(model, name, after, names),
                )
                for name, (before, after) in item.changes.items()
            ]
    return entries


def _bulk_lines(text: str, limit: int = 20) -> Iterator[tuple[str, str, str]]:
    """The first rows of an import entry as (what, before, after)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    rows = list(reader)
    for row in rows[:limit]:
        if "before" in header:  # changed: number, name, field, before, after
            number, name, field, before, after = row
            yield (f"{name}（{number}）{field}", _shown(before), _shown(after))
        else:  # created: the imported values
            yield (f"{row[1]}（{row[0]}）", "", "")
    if len(rows) > limit:
        yield (f"……共 {len(rows)} 行", "", "")


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _field(model: Any, name: str) -> Any:
    if model is None:
        return None
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    return None


def _label(model: Any, name: str) -> str:
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name


def _related_names(entries: list[AuditEntry], models: dict[str, Any]) -> dict[tuple, str]:
    """The records the entries' changes name by id, read in one query per
    related model (a page of history named a record per query before)."""
    wanted: dict[Any, set[Any]] = {}
    for item in entries:
        model = models[item.model]
        for name, pair in (item.changes or {}).items():
            field = _field(model, name)
            if field is None or not field.is_relation or field.related_model is None:
                continue
            if field.attname != name:
                continue  # stored by another key (imports store a parent by its code)
            for value in pair if isinstance(pair, (list, tuple)) else ():
                if value not in (None, ""):
                    wanted.setdefault(field.related_model, set()).add(value)
    names: dict[tuple, str] = {}
    for related_model, ids in wanted.items():
        try:
            found = related_model._default_manager.in_bulk(list(ids))
        except (TypeError, ValueError):
            continue
        for pk, record in found.items():
            names[(related_model, str(pk))] = str(record)
    return names


def _display(model: Any, name: str, value: Any, names: dict[tuple, str]) -> str:
    """A stored value as people read it: choice labels, related records by name."""
    field = _field(model, name)
    if field is not None and value not in (None, ""):
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if field.is_relation and field.related_model is not None and field.attname == name:
            # Stored as an id (imports store a parent by its code, shown as it is).
            shown = names.get((field.related_model, str(value)))
            if shown is not None:
                return shown
    return _shown(value)
