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
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection, models
from django.db.models import Model, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext

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


HISTORY_PAGE_SIZE = 20


def history(organization_id: int, page: Any = 1, per_page: int = HISTORY_PAGE_SIZE) -> Page:
    """One page of the entries about an organisation and the records under it, newest
    first, each made readable for its 变更记录: the record's kind, the move's name
    (报送, 备案, 退回), Chinese field labels, values as people read them (choice
    labels, names for ids, dates and local times in the page's language). A new
    record lists what it was given, a deleted one what it held, a change its
    before → after (``item.arrows``). Related records are looked up in one query
    per kind, whatever the page holds."""
    found = Paginator(AuditEntry.objects.filter(organization_id=organization_id), per_page)
    shown = found.get_page(page)
    items = list(shown.object_list)
    _readable(items)
    shown.object_list = items
    return shown


def record_history(
    entries: QuerySet[AuditEntry], page: Any = 1, per_page: int = HISTORY_PAGE_SIZE
) -> Page:
    """``history`` over any entries (one record's: ``AuditEntry.objects.filter(model=…,
    object_id=…)``), newest first, made readable the same way."""
    shown = Paginator(entries.order_by("-at", "-pk"), per_page).get_page(page)
    items = list(shown.object_list)
    _readable(items)
    shown.object_list = items
    return shown


def _readable(items: list[AuditEntry]) -> None:
    from django.apps import apps

    from core.workflow import verb_label

    pending: list[tuple[AuditEntry, list[tuple[Any, Any, str, Any, Any]]]] = []
    wanted: dict[Any, set[Any]] = {}
    for item in items:
        try:
            model = apps.get_model(item.model)
        except (LookupError, ValueError):
            model = None
        item.model_name = str(model._meta.verbose_name) if model else item.model
        item.action_label = (
            str(verb_label(item.model, item.verb)) if item.verb else item.get_action_display()
        )
        item.arrows = item.action == Action.UPDATE
        if item.rows:
            item.lines = list(_bulk_lines(item.rows))
            continue
        fields = []
        for name, (before, after) in item.changes.items():
            field = _field(model, name)
            if field is not None and field.primary_key:
                continue
            if item.action == Action.CREATE and _unset(field, after):
                continue
            if item.action == Action.DELETE and _unset(field, before):
                continue
            fields.append((model, field, name, before, after))
            if _relation(field):
                wanted.setdefault(field.related_model, set()).update(
                    v for v in (before, after) if _an_id(v)
                )
        pending.append((item, fields))
    names = {related: _names(related, pks) for related, pks in wanted.items()}
    for item, fields in pending:
        item.lines = [
            (
                _label(model, name),
                _display(field, before, names) if item.action != Action.CREATE else "",
                _display(field, after, names) if item.action != Action.DELETE else "",
            )
            for model, field, name, before, after in fields
        ]


def _relation(field: Any) -> bool:
    return field is not None and field.is_relation and field.related_model is not None


def _an_id(value: Any) -> bool:
    """A stored foreign key (imports store a parent by its code, shown as it is)."""
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


def _unset(field: Any, value: Any) -> bool:
    """Nothing worth listing for a new record: empty, or the field's own default."""
    if value in (None, "", [], {}):
        return True
    if field is None or field.is_relation or not field.has_default() or callable(field.default):
        return False
    return bool(value == field.default)


def _names(model: Any, pks: set[Any]) -> dict[str, str]:
    """How each related record reads: a user by their name, anything else by ``str``."""
    found = {str(r.pk): r for r in model._default_manager.filter(pk__in=pks)}
    return {pk: _person(r) if hasattr(r, "get_username") else str(r) for pk, r in found.items()}


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()


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
        yield (gettext("……共 %(n)s 行") % {"n": len(rows)}, "", "")


def _shown(value: Any) -> str:
    """A value without a field to read it by: lists and mappings as text, never JSON."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_shown(v)}" for k, v in value.items())
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return _moment(value)
    return str(value)


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _moment(value: str) -> str:
    """A stored ISO time (UTC) as a local time in the page's language."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def _day(value: str) -> str:
    try:
        return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
    except (TypeError, ValueError):
        return str(value)


def _field(model: Any, name: str) -> Any:
    if model is None:
        return None
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    return None


def _label(model: Any, name: str) -> str:
    """A field's Chinese label; values recorded under another name (a pledge's
    items) are labelled by the model's ``audit_labels``."""
    field = _field(model, name)
    if field is not None:
        return str(field.verbose_name)
    extra = getattr(model, "audit_labels", {}) if model is not None else {}
    return str(extra.get(name, name))


def _display(field: Any, value: Any, names: dict[Any, dict[str, str]]) -> str:
    """A stored value as people read it: choice labels, related records by name,
    dates and times in the page's language and time zone."""
    if field is None or value in (None, ""):
        return _shown(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if _relation(field) and _an_id(value):
        known = names.get(field.related_model, {})
        return known.get(str(value), gettext("%(value)s（已删除）") % {"value": value})
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        return _moment(value)
    if isinstance(field, models.DateField) and isinstance(value, str):
        return _day(value)
    return _shown(value)
