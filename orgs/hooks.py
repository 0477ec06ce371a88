"""What higher apps do when members change organisation.

A member's transfer (``orgs.services.member_transfer``) and a member import
that moves members are written here in ``orgs``, but what else must move with
a member belongs to the apps above (a pledge in a running campaign follows its
member to the new branch). Those apps register a hook from their
``AppConfig.ready`` (the ``core.jobs.register`` idiom); orgs calls the hooks
inside its own transaction, so a failing hook rolls the move back.
"""

from collections.abc import Callable, Iterable

from core.registry import Registry

MembersMoved = Callable[[list[int]], object]

_members_moved: Registry[MembersMoved] = Registry()
# ``on_members_moved(name)`` registers ``hook(member_ids)``, called after members
# have moved to another organisation.
on_members_moved = _members_moved.register
registered = _members_moved.registered


def members_moved(member_ids: Iterable[int]) -> None:
    """Tell every registered hook which members now belong to another organisation."""
    ids = list(member_ids)
    if not ids:
        return
    for hook in _members_moved.registered().values():
        hook(ids)
