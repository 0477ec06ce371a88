"""Members-moved hooks: orgs tells the apps above it who moved, inside its transaction."""

import pytest

from orgs import hooks
from orgs.services import member_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    monkeypatch.setattr(hooks._members_moved, "entries", {})
    seen: list[list[int]] = []
    hooks.on_members_moved("test")(seen.append)
    return seen


def test_every_hook_hears_the_moved_member_ids_and_none_hears_an_empty_move(calls):
    other: list[list[int]] = []
    hooks.on_members_moved("other")(other.append)
    hooks.members_moved(iter([3, 5]))
    hooks.members_moved([])
    assert calls == [[3, 5]] and other == [[3, 5]]


def test_a_transfer_calls_the_hooks_with_the_member(district, calls):
    member_transfer(member=district.member, to=district.sibling, by=district.users["office"])
    assert calls == [[district.member.pk]]


def test_a_failing_hook_rolls_the_transfer_back(district, monkeypatch):
    monkeypatch.setattr(hooks._members_moved, "entries", {})

    @hooks.on_members_moved("broken")
    def broken(member_ids):
        raise RuntimeError("hook failed")

    with pytest.raises(RuntimeError):
        member_transfer(member=district.member, to=district.sibling, by=district.users["office"])
    district.member.refresh_from_db()
    assert district.member.organization == district.branch
    assert not district.member.transfers.exists()
