"""The 待办 registry: apps register counters, the home page asks them all."""

import pytest

from core import todo


@pytest.fixture
def counters(monkeypatch):
    monkeypatch.setattr(todo._counters, "entries", {})
    return todo


def test_only_lines_with_something_waiting_are_shown_in_registration_order(counters):
    counters.register("b")(lambda user: todo.Todo(f"{user} b", 3, "/b/"))
    counters.register("none")(lambda user: todo.Todo("none", 0, "/none/"))
    counters.register("a")(lambda user: todo.Todo(f"{user} a", 1, "/a/"))
    assert counters.todos_for("alice") == [
        todo.Todo("alice b", 3, "/b/"),
        todo.Todo("alice a", 1, "/a/"),
    ]


def test_registering_a_name_again_replaces_the_counter(counters):
    counters.register("pledges")(lambda user: todo.Todo("old", 1, "/old/"))
    counters.register("pledges")(lambda user: todo.Todo("new", 1, "/new/"))
    assert [t.label for t in counters.todos_for(None)] == ["new"]
    assert list(counters.registered()) == ["pledges"]
