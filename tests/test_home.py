"""The home page (工作台, in ``config``): roles, organisations and every app's 待办."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import todo
from orgs.models import Role
from tests.factories import OrganizationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


def test_the_roles_are_read_with_their_organisations_in_one_query(district, login):
    """Four grants cost what one does: the grant list joins its organisations."""
    one = UserFactory()
    grant(one, Role.BRANCH_SECRETARY, district.branch)
    four = UserFactory()
    for organization in (district.branch, district.sibling, district.far_branch):
        grant(four, Role.BRANCH_SECRETARY, organization)
    grant(four, Role.MEMBER, district.branch)
    _home_queries(login(one))  # warm the session and the content types
    small = _home_queries(login(one))
    _home_queries(login(four))
    big = _home_queries(login(four))
    page = login(four).get(reverse("home")).content.decode()
    assert district.far_branch.name in page and district.sibling.name in page
    assert small == big


def test_the_home_page_lists_what_the_apps_registered(district, login, monkeypatch):
    monkeypatch.setattr(todo._counters, "entries", {})
    extra = OrganizationFactory(parent=district.branch)

    @todo.register("test.waiting")
    def waiting(user):
        return todo.Todo(f"{user.username} 有 2 件待办", 2, f"/orgs/{extra.pk}/")

    @todo.register("test.nothing")
    def nothing(user):
        return todo.Todo("不应显示", 0, "/nowhere/")

    page = login(district.users["secretary"]).get(reverse("home")).content.decode()
    assert "待办" in page
    assert f'<a href="/orgs/{extra.pk}/">secretary 有 2 件待办</a>' in page
    assert "不应显示" not in page


def test_without_anything_waiting_the_todo_card_says_so(district, login, monkeypatch):
    monkeypatch.setattr(todo._counters, "entries", {})
    page = login(district.users["secretary"]).get(reverse("home")).content.decode()
    assert "<h2>待办</h2>" in page and "暂无待办事项" in page


def test_a_user_without_a_role_has_no_todo_card(district, login):
    page = login(district.users["no_role"]).get(reverse("home")).content.decode()
    assert "<h2>待办</h2>" not in page and "您还没有被授予任何角色" in page
