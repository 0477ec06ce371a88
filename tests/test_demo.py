"""`make run`'s demo (issue 13): after the seed chain every demo login's home page
has real 待办 that lead to a page the login can open.

A smaller district than make run's and the closed round on one branch (``--unit``)
keep this quick; the seeds that only add to what the office sees (spot checks,
bulletins, surveys, awards) are left out."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core.models import Notification
from core.todo import todos_for
from orgs.management.commands.seed_demo import LOGINS

pytestmark = pytest.mark.django_db


def seed_chain() -> str:
    out = io.StringIO()
    call_command("seed_demo", organizations=60, members=1500, stdout=out)
    call_command(
        "load_campaign",
        "fixtures/demo/minghu.json",
        "--root",
        "MH",
        "--today-in-phase",
        "2",
        stdout=out,
    )
    call_command("seed_plans", "--root", "MH", stdout=out)
    call_command("seed_pledges", "--root", "MH", "--branches", "2", stdout=out)
    call_command("seed_reviews", "--root", "MH", "--unit", "MH-JD01-SQ1-3", stdout=out)
    call_command("seed_rectifications", "--root", "MH", "--count", "4", stdout=out)
    return out.getvalue()


def labels(username: str) -> str:
    return " ".join(t.label for t in todos_for(get_user_model().objects.get(username=username)))


# One test over one chain: the chain is the slow part.
def test_every_demo_login_has_its_roles_work_waiting_on_its_home_page(client):
    said = seed_chain()
    for username, _name, _role, _code in LOGINS:
        user = get_user_model().objects.get(username=username)
        lines = todos_for(user)
        assert lines, f"{username} 的工作台没有待办\n{said}"
        client.force_login(user)
        for line in lines:  # each leads to a page the login may open
            response = client.get(line.url)
            assert response.status_code == 200, (username, line.label, line.url)
    client.logout()

    assert "实施方案待备案" in labels("committee")
    assert "承诺待审核" in labels("office")
    secretary = labels("secretary")
    assert "实施方案被退回" in secretary and "党员民主评议待评分" in secretary
    assert "群众留言待审核" in secretary and "承诺待审核" in secretary
    assert "整改事项" in secretary
    member = labels("member")
    assert "被退回" in member and "党员互评" in member
    assert "待点评" in labels("leader")
    # the seeded moves told the branch logins (the actor is never told of their own move)
    for username in ("secretary", "secretary2", "member", "committee"):
        assert Notification.objects.filter(user__username=username).exists(), username
    # the closed round's results are on the public page (the demo publishes them 公开)
    page = client.get("/pingyi/").content.decode()
    assert "党员民主评议" in page and "暂无公开的评议结果" not in page
