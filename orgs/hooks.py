"""What higher apps do when members change organisation.

A member's transfer (``orgs.services.member_transfer``) and a member import
that moves members are written here in ``orgs``, but what else must move with
a member belongs to the apps above (a pledge in a running campaign follows its
member to the new branch). Those apps register a hook from their
``AppConfig.ready`` (the ``core.jobs.register`` idiom); orgs calls the hooks
inside its own transaction, so a failing hook rolls the move back.
"""

from collections.abc import Callable, Iterable

MembersMoved = Callable[[list[int]], object]

_members_moved: dict[str, MembersMoved] = {}


def on_members_moved(name: str) -> Callable[[MembersMoved], MembersMoved]:
    """Register ``hook(member_ids)``, called after members have moved to another organisation.

    Keyed by name, so registering the same hook again replaces it.
    """

    def decorator(hook: MembersMoved) -> MembersMoved:
        _members_moved[name] = hook
        return hook

    return decorator


def registered() -> dict[str, MembersMoved]:
    """The members-moved hooks by name, in registration order."""
    return dict(_members_moved)


def members_moved(member_ids: Iterable[int]) -> None:
    """Tell every registered hook which members now belong to another organisation."""
    ids = list(member_ids)
    if not ids:
        return
    for hook in _members_moved.values():
        hook(ids)
