"""A named registry that a higher app fills from its ``AppConfig.ready`` so a
lower one can call it without importing it (the 待办 counters, the members-moved
hooks). Keyed by name: registering a name again replaces its entry."""

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self) -> None:
        self.entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator that registers its function under ``name``."""

        def decorator(entry: T) -> T:
            self.entries[name] = entry
            return entry

        return decorator

    def registered(self) -> dict[str, T]:
        """The entries by name, in registration order (the apps' order in INSTALLED_APPS)."""
        return dict(self.entries)
