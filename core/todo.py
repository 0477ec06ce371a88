"""The home page's 待办: what each app says is waiting for a user.

The home page sits above every app, but the apps that know what is waiting
(campaign's plans and pledges today; reviews and awards next) sit above
``core``. So each app registers a counter here from its ``AppConfig.ready``
(the ``core.jobs.register`` idiom) and the home page asks them all, importing
none of them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from core.registry import Registry


@dataclass(frozen=True)
class Todo:
    """One line of 待办: what is waiting (already counted in the label), and where to act."""

    label: str
    count: int
    url: str


# ``counter(user)`` returns one ``Todo`` (a count and the list to act on) or several
# (one line per record, such as each of the user's units whose plan was returned).
Counter = Callable[[Any], "Todo | Iterable[Todo]"]

_counters: Registry[Counter] = Registry()
register = _counters.register
registered = _counters.registered


# A 待办 line counts at most this many, and says "999+" beyond: every page's
# menu asks every counter, and an exact COUNT of a city's 66,000 waiting
# pledges took 300–400 ms for the office at the root (benchmarks/dashboard.py).
# The database stops after CAP + 1 rows of the index.
CAP = 999


def capped(found: Any) -> tuple[int, str]:
    """(how many, as shown) of a queryset: at most ``CAP + 1``, shown "999+" then."""
    n = found.order_by().values("pk")[: CAP + 1].count()
    return n, f"{CAP}+" if n > CAP else str(n)


def todos_for(user: Any) -> list[Todo]:
    """The user's 待办 lines with something waiting, in registration order."""
    lines: list[Todo] = []
    for counter in _counters.registered().values():
        found = counter(user)
        lines.extend([found] if isinstance(found, Todo) else found)
    return [line for line in lines if line.count]


def todos_for_request(request: Any) -> list[Todo]:
    """``todos_for`` once per request: the home page's list and the menu's badge
    (``core.context_processors.menu_counts``) share one pass over the counters."""
    cached = getattr(request, "_todos", None)
    if cached is None:
        cached = todos_for(request.user)
        request._todos = cached
    return cached


def todo_total(lines: Iterable[Todo]) -> int:
    """The menu's figure: everything waiting, summed over the lines."""
    return sum(line.count for line in lines)


def _badge_key(user: Any) -> str:
    return f"core.todo.badge:{user.pk}"


def badge_total(request: Any) -> int:
    """The menu's figure on every page: the page's own count when it made one
    (the home page), else the figure kept in the cache for ``TODO_BADGE_SECONDS``
    (the counters of every app cost a city office 80 ms a page). The user's
    own writes forget it (``forget``), so what they just did shows at once;
    what others did shows within the seconds."""
    key = _badge_key(request.user)
    if getattr(request, "_todos", None) is None:
        kept = cache.get(key)
        if kept is not None:
            return kept
    total = todo_total(todos_for_request(request))
    cache.set(key, total, settings.TODO_BADGE_SECONDS)
    return total


def forget(user: Any) -> None:
    """Drop the user's kept menu figure (after a write of theirs)."""
    cache.delete(_badge_key(user))
