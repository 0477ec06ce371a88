"""Stored per-organisation counts: each organisation's own figure and its subtree's.

Pages that show "members in this subtree" (the tree, an organisation, the
dashboard) read ``OrganizationTally`` rows instead of counting the member table
over a nested-set range on every view, which grew with the district (issue 9:
the root's count walked every member). The writes that change a count keep it:

* ``adjust({(organization_id, key): delta})`` — a service added or removed rows
  in one organisation (a member enrolled or transferred, a unit revoked); its
  own figure moves by ``delta``, and so does the subtree figure of it and of
  every ancestor.
* ``detach(node)`` / ``attach(node)`` — around a move of a subtree: its figures
  leave the old ancestors and join the new ones.
* ``recount(names)`` — after a bulk write (an import, the demo loader): the
  figures recounted from the tables and written where they differ.
* ``drift(names)`` — the same recount, compared and reported, not written
  (``manage.py check_tallies``, ``--repair`` writes).

Each own figure is also kept under its organisation's *class*: ``<key>@<sector
id>.<kind>`` for an active organisation, ``<key>@<sector id>.<kind>.off`` for a
revoked one (``classed``, read back with ``parse``). A subtree's class figures
say how its count splits by sector, kind and activity, which is what a page
needs for "per sector" rows and for a campaign's participation scope (units of
some sectors and kinds) without reading the subtree: the dashboard sums the
classes that take part. An organisation whose sector, kind or activity changes
moves its own figures to the new class (``reclassify``).

What is counted is a registry (the ``core.jobs.register`` idiom): a counter
yields the own figures ``(organization_id, key, n)`` of everything it counts,
and its keys are its name or start with ``<name>.``. orgs counts ``units``
(active organisations: 1 for an active one) and ``members``. An app above
registers its own from its ``AppConfig.ready`` (plans per campaign and state as
``plans.<campaign>.<state>``, pledges, score sheets, rectifications) and calls
``adjust`` from the services that change them; the rows, the rollup, the check
and the repair are the same for every counter.

Every write takes the tally lock (after the tree lock where a write takes both),
so a recount never overwrites a concurrent adjustment and an adjustment never
lands on ancestors a concurrent move is changing.
"""

from collections import Counter as Multiset
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, F, Q

from orgs.models import Member, Organization, OrganizationTally
from orgs.selectors import ancestors_q

UNITS = "units"
MEMBERS = "members"
TALLY_LOCK_KEY = 7_211_003  # beside orgs.services.TREE_LOCK_KEY; always taken after it

Counter = Callable[[], Iterable[tuple[int, str, int]]]
_counters: dict[str, Counter] = {}
# More own figures than this in one adjust: recount the counters they belong to
# instead (a bulk path's thousand moved pledges would be thousands of updates).
ADJUST_LIMIT = 200


class Class(NamedTuple):
    """What an organisation is, for its class figures: sector, kind, active."""

    sector_id: int
    kind: str
    active: bool = True


def class_of(organization: Organization) -> Class:
    return Class(organization.sector_id, organization.kind, organization.is_active)


def classed(key: str, cls: Class) -> str:
    """The key of a figure's part in organisations of class ``cls``."""
    return f"{key}@{cls.sector_id}.{cls.kind}" + ("" if cls.active else ".off")


def parse(key: str) -> tuple[str, Class | None]:
    """``(key, None)`` for a whole figure, ``(key, class)`` for a class figure."""
    base, at, rest = key.partition("@")
    if not at:
        return key, None
    sector, _, kind = rest.partition(".")
    kind, _, off = kind.partition(".")
    return base, Class(int(sector), kind, not off)


def register(name: str) -> Callable[[Counter], Counter]:
    """Register a counter: ``counter()`` yields ``(organization_id, key, n)``, the
    own figure of each organisation (zeros may be left out) for keys that are
    ``name`` or start with ``name.``. Registering a name again replaces it."""

    def decorator(counter: Counter) -> Counter:
        _counters[name] = counter
        return counter

    return decorator


def registered() -> list[str]:
    return list(_counters)


@register(UNITS)
def _count_units() -> Iterable[tuple[int, str, int]]:
    """An active organisation counts one unit (a revoked one stays in the tree)."""
    for pk in Organization.objects.filter(is_active=True).values_list("pk", flat=True):
        yield pk, UNITS, 1


@register(MEMBERS)
def _count_members() -> Iterable[tuple[int, str, int]]:
    rows = Member.objects.order_by().values_list("organization_id").annotate(n=Count("pk"))
    for organization_id, n in rows:
        yield organization_id, MEMBERS, n


def _keys_q(names: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for name in names:
        q |= Q(key=name) | Q(key__startswith=f"{name}.") | Q(key__startswith=f"{name}@")
    return q


def _name_of(key: str) -> str | None:
    """The registered counter a key belongs to."""
    base = parse(key)[0]
    for name in _counters:
        if base == name or base.startswith(f"{name}."):
            return name
    return None


def lock() -> None:
    """Serialise tally writes until the transaction ends (PostgreSQL advisory
    lock; SQLite has one writer anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TALLY_LOCK_KEY])


def _path(node: Organization, *, include_self: bool) -> list[int]:
    """The node's ancestors (and itself), as their ids."""
    return list(
        Organization.objects.filter(ancestors_q(node, include_self=include_self)).values_list(
            "pk", flat=True
        )
    )


def _shift(path: Sequence[int], key: str, delta: int) -> None:
    """``delta`` onto the subtree figure of every organisation on ``path``."""
    OrganizationTally.objects.bulk_create(
        [OrganizationTally(organization_id=pk, key=key) for pk in path], ignore_conflicts=True
    )
    OrganizationTally.objects.filter(organization_id__in=path, key=key).update(
        subtree=F("subtree") + delta
    )


def adjust(deltas: Mapping[tuple[int, str], int]) -> None:
    """Own figures changed by ``delta`` at ``(organization_id, key)`` (a whole
    key, never a class key): the organisation's own and subtree figures, its
    class figures and every ancestor's subtree figures follow. Call it inside
    the write's transaction, after the write. Past ``ADJUST_LIMIT`` figures the
    counters concerned are recounted instead."""
    pending = _pending.get()
    if pending is not None:
        pending.update(deltas)
        return
    deltas = {k: d for k, d in deltas.items() if d}
    if not deltas:
        return
    if len(deltas) > ADJUST_LIMIT:
        recount({name for _, key in deltas if (name := _name_of(key))})
        return
    with transaction.atomic():
        lock()
        nodes = Organization.objects.in_bulk({pk for pk, _ in deltas})
        paths: dict[int, list[int]] = {}
        for (pk, key), delta in deltas.items():
            node = nodes[pk]
            if pk not in paths:
                paths[pk] = _path(node, include_self=True)
            _move(paths[pk], pk, key, delta)
            _move(paths[pk], pk, classed(key, class_of(node)), delta)


_pending: ContextVar[Multiset[tuple[int, str]] | None] = ContextVar("tallies", default=None)


@contextmanager
def deferred() -> Iterator[None]:
    """Collect the ``adjust`` calls made inside and apply their sum once on the
    way out (an import filing rows one by one through a service: one update of
    the tree, not one per row). Use it inside the write's transaction."""
    if _pending.get() is not None:  # already collecting
        yield
        return
    token = _pending.set(Multiset())
    try:
        yield
        collected = _pending.get()
    finally:
        _pending.reset(token)
    adjust(dict(collected or {}))


def _move(path: Sequence[int], pk: int, key: str, delta: int) -> None:
    _shift(path, key, delta)
    OrganizationTally.objects.filter(organization_id=pk, key=key).update(own=F("own") + delta)


def follow(before: Iterable[tuple[int, str]], after: Iterable[tuple[int, str]]) -> None:
    """A record that counted once under each ``(organization_id, key)`` of
    ``before`` now counts under those of ``after`` (a plan's new state, a pledge
    published or moved to another branch): ``adjust`` by the difference."""
    deltas = Multiset(after)
    deltas.subtract(before)
    adjust(dict(deltas))


def reclassify(organization: Organization, before: Class) -> None:
    """After an organisation's sector, kind or activity changed (saved, and with
    any change of its own figures made by ``adjust`` after this call): its own
    figures move from the old class to the new one, here and up the tree."""
    with transaction.atomic():
        lock()
        node = Organization.objects.get(pk=organization.pk)
        now = class_of(node)
        if now == before:
            return
        own = [
            (key, n)
            for key, n in OrganizationTally.objects.filter(organization_id=node.pk)
            .exclude(own=0)
            .values_list("key", "own")
            if "@" not in key
        ]
        if not own:
            return
        path = _path(node, include_self=True)
        for key, n in own:
            _move(path, node.pk, classed(key, before), -n)
            _move(path, node.pk, classed(key, now), n)


def _carry(node: Organization, sign: int) -> None:
    with transaction.atomic():
        lock()
        node = Organization.objects.get(pk=node.pk)  # numbering as it is now
        figures = list(
            OrganizationTally.objects.filter(organization_id=node.pk)
            .exclude(subtree=0)
            .values_list("key", "subtree")
        )
        if not figures:
            return
        path = _path(node, include_self=False)
        for key, n in figures:
            _shift(path, key, sign * n)


def detach(node: Organization) -> None:
    """Before a subtree moves (or a childless node is deleted): take its figures
    off its ancestors."""
    _carry(node, -1)


def attach(node: Organization) -> None:
    """After a subtree moved: add its figures to its new ancestors."""
    _carry(node, +1)


# ---- recounting, the drift check and the repair -----------------------------

Figures = dict[tuple[int, str], tuple[int, int]]  # (organization, key) → (own, subtree)


def counted(names: Iterable[str] | None = None) -> Figures:
    """Every figure recounted from the tables: the counters' own figures and
    their class figures, rolled up the tree in one pass in nested-set order.
    Zero figures are left out."""
    counted_own: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name in _counters if names is None else names:
        for pk, key, n in _counters[name]():
            counted_own[pk][key] += n
    own: dict[int, dict[str, int]] = {}
    figures: Figures = {}
    subtree: dict[int, dict[str, int]] = {}
    stack: list[tuple[int, int, int]] = []  # (pk, tree_id, rght) of the open ancestors
    nodes = Organization.objects.order_by("tree_id", "lft").values_list(
        "pk", "tree_id", "lft", "rght", "sector_id", "kind", "is_active"
    )
    for pk, tree_id, lft, rght, sector_id, kind, active in nodes.iterator(chunk_size=5000):
        while stack and (stack[-1][1] != tree_id or stack[-1][2] < lft):
            stack.pop()
        mine = counted_own.get(pk)
        subtree[pk] = defaultdict(int)
        if mine:
            cls = Class(sector_id, kind, active)
            mine = own[pk] = dict(mine) | {classed(key, cls): n for key, n in mine.items()}
            for key, n in mine.items():
                subtree[pk][key] += n
                for ancestor, _, _ in stack:
                    subtree[ancestor][key] += n
        stack.append((pk, tree_id, rght))
    for pk, keys in subtree.items():
        mine = own.get(pk, {})
        for key, n in keys.items():
            if n or mine.get(key):
                figures[(pk, key)] = (mine.get(key, 0), n)
    return figures


def stored(names: Iterable[str] | None = None) -> Figures:
    rows = OrganizationTally.objects.all()
    if names is not None:
        rows = rows.filter(_keys_q(names))
    return {
        (pk, key): (own, sub)
        for pk, key, own, sub in rows.values_list("organization_id", "key", "own", "subtree")
        if own or sub
    }


@dataclass(frozen=True)
class Drift:
    """A stored figure that differs from the recount."""

    organization_id: int
    code: str
    key: str
    stored: tuple[int, int]  # (own, subtree)
    counted: tuple[int, int]

    def __str__(self) -> str:
        return (
            f"{self.code} {self.key}: 存储 本级 {self.stored[0]} / 含下级 {self.stored[1]}，"
            f"实际 本级 {self.counted[0]} / 含下级 {self.counted[1]}"
        )


def drift(names: Iterable[str] | None = None) -> list[Drift]:
    """The figures whose stored value differs from a recount, in tree order."""
    names = list(_counters if names is None else names)
    fresh, kept = counted(names), stored(names)
    wrong = sorted(k for k in fresh.keys() | kept.keys() if fresh.get(k) != kept.get(k))
    codes = dict(
        Organization.objects.filter(pk__in={pk for pk, _ in wrong}).values_list("pk", "code")
    )
    return [
        Drift(
            pk, codes.get(pk, "?"), key, kept.get((pk, key), (0, 0)), fresh.get((pk, key), (0, 0))
        )
        for pk, key in wrong
    ]


def recount(names: Iterable[str] | None = None) -> int:
    """Write the recounted figures where the stored ones differ (the bulk paths
    call it before they commit; ``check_tallies --repair`` too). Returns the
    number of figures corrected."""
    names = list(_counters if names is None else names)
    with transaction.atomic():
        lock()
        fresh = counted(names)
        rows: dict[tuple[int, str], Any] = {
            (t.organization_id, t.key): t
            for t in OrganizationTally.objects.filter(_keys_q(names)).only(
                "pk", "organization_id", "key", "own", "subtree"
            )
        }
        create, update = [], []
        for key, (own, sub) in fresh.items():
            row = rows.get(key)
            if row is None:
                create.append(
                    OrganizationTally(organization_id=key[0], key=key[1], own=own, subtree=sub)
                )
            elif (row.own, row.subtree) != (own, sub):
                row.own, row.subtree = own, sub
                update.append(row)
        stale = [row.pk for key, row in rows.items() if key not in fresh]
        OrganizationTally.objects.bulk_create(create, batch_size=2000)
        OrganizationTally.objects.bulk_update(update, ["own", "subtree"], batch_size=1000)
        OrganizationTally.objects.filter(pk__in=stale).delete()
    return len(create) + len(update) + len(stale)
