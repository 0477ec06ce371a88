"""The home page's 待办: what each app says is waiting for a user.

The home page sits above every app, but the apps that know what is waiting
(pledges today; reviews and awards next) sit above ``core``. So each app
registers a counter here from its ``AppConfig.ready`` (the ``core.jobs.register``
idiom) and the home page asks them all, importing none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.registry import Registry


@dataclass(frozen=True)
class Todo:
    """One line of 待办: what is waiting (already counted in the label), and where to act."""

    label: str
    count: int
    url: str


Counter = Callable[[Any], Todo]

_counters: Registry[Counter] = Registry()
# ``register(name)`` registers a counter: ``counter(user)`` returns the user's ``Todo``.
register = _counters.register
registered = _counters.registered


def todos_for(user: Any) -> list[Todo]:
    """The user's 待办 lines with something waiting, in registration order."""
    todos = [counter(user) for counter in _counters.registered().values()]
    return [todo for todo in todos if todo.count]
