"""Writes to the organisation tree and the membership roll.

Every create, move and delete of an organisation takes the tree lock inside its
transaction: django-mptt renumbers whole trees on these writes and leaves
concurrency to the caller, so two unserialised moves can corrupt the nested set
(and with it, everybody's scope).
"""

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, workflow
from orgs import hooks, tallies
from orgs.models import Member, MemberTransfer, Organization
from orgs.selectors import contains, forget_grants

TREE_LOCK_KEY = 7_211_001  # any constant; one advisory lock serialises tree writes
MEMBER_IMPORT_LOCK_KEY = 7_211_002  # member imports that commit, one at a time


class DomainError(workflow.DomainError):
    """A change to the tree or a member the rules forbid; the message is shown to the user."""


def lock_tree(key: int = TREE_LOCK_KEY) -> None:
    """Serialise tree writes (or, with another ``key``, another kind of bulk
    write) until the current transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite serialises writers
    on its own (one writer per database file).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    forget_grants()  # the write may renumber the ranges this request has read


ORG_EDITABLE = (
    "name",
    "short_name",
    "kind",
    "sector",
    "secretary_name",
    "phone",
    "founded_on",
    "is_active",
)


def organization_create(*, parent: Organization | None, **values: Any) -> Organization:
    """Create an organisation as the last child of ``parent`` (a new tree if None)."""
    with transaction.atomic():
        lock_tree()
        if parent is not None:
            parent = Organization.objects.get(pk=parent.pk)  # fresh numbering, read under the lock
        organization = Organization(parent=parent, **values)
        organization.full_clean()
        organization.save()
        tallies.adjust({(organization.pk, tallies.UNITS): int(organization.is_active)})
        audit.record(organization, audit.Action.CREATE, organization_id=organization.pk)
    return organization


def organization_update(*, organization: Organization, **values: Any) -> Organization:
    """Change an organisation's own fields (not its place in the tree)."""
    unknown = set(values) - set(ORG_EDITABLE) - {"code"}
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    with transaction.atomic():
        lock_tree()
        fresh = Organization.objects.select_for_update().get(pk=organization.pk)
        before = audit.snapshot(fresh)
        was = tallies.class_of(fresh)
        for name, value in values.items():
            setattr(fresh, name, value)
        fresh.full_clean()
        fresh.save()
        tallies.reclassify(fresh, was)  # a new sector, kind or activity: its figures follow
        tallies.adjust({(fresh.pk, tallies.UNITS): int(fresh.is_active) - int(was.active)})
        audit.record(fresh, audit.Action.UPDATE, before, organization_id=fresh.pk)
    return fresh


def organization_move(*, organization: Organization, new_parent: Organization) -> Organization:
    """Move an organisation with its subtree under ``new_parent`` (as last child)."""
    with transaction.atomic():
        lock_tree()
        node = Organization.objects.get(pk=organization.pk)
        target = Organization.objects.get(pk=new_parent.pk)
        if contains(node, target):
            raise DomainError(_("不能把党组织移到它自己或它的下级组织之下"))
        if node.parent_id == target.pk:
            return node
        before = audit.snapshot(node)
        tallies.detach(node)
        node.move_to(target, "last-child")
        node.refresh_from_db()
        tallies.attach(node)
        audit.record(node, audit.Action.UPDATE, before, organization_id=node.pk)
    return node


def organization_delete(*, organization: Organization) -> None:
    """Delete an empty organisation: no members and no child organisations."""
    with transaction.atomic():
        lock_tree()
        node = Organization.objects.get(pk=organization.pk)
        if node.get_children().exists():
            raise DomainError(_("该党组织下还有下级组织，不能删除"))
        if Member.objects.filter(organization=node).exists():
            raise DomainError(_("该党组织还有党员，不能删除；请先转接党员组织关系"))
        before = audit.snapshot(node)
        pk = node.pk
        tallies.detach(node)  # its rows go with it (a childless node: subtree is own)
        node.delete()
        node.pk = pk
        audit.record(node, audit.Action.DELETE, before, organization_id=pk)


MEMBER_EDITABLE = (
    "name",
    "gender",
    "birth_date",
    "joined_on",
    "category",
    "post",
    "mobile",
    "is_leading_cadre",
    "is_party_worker",
)


def member_create(*, organization: Organization, **values: Any) -> Member:
    """Enrol a member in an organisation."""
    with transaction.atomic():
        member = Member(organization=organization, **values)
        member.full_clean()
        member.save()
        tallies.adjust({(organization.pk, tallies.MEMBERS): 1})
        audit.record(member, audit.Action.CREATE, organization_id=organization.pk)
    return member


def member_update(*, member: Member, **values: Any) -> Member:
    """Change a member's own fields; a move between organisations is ``member_transfer``."""
    unknown = set(values) - set(MEMBER_EDITABLE) - {"number"}
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    with transaction.atomic():
        fresh = Member.objects.select_for_update().get(pk=member.pk)
        before = audit.snapshot(fresh)
        for name, value in values.items():
            setattr(fresh, name, value)
        fresh.updated_at = timezone.now()
        fresh.full_clean()
        fresh.save()
        audit.record(fresh, audit.Action.UPDATE, before, organization_id=fresh.organization_id)
    return fresh


def member_transfer(
    *, member: Member, to: Organization, by: Any, on: dt.date | None = None, note: str = ""
) -> MemberTransfer:
    """Move a member to another organisation, keeping where they were and when."""
    with transaction.atomic():
        fresh = Member.objects.select_for_update().get(pk=member.pk)
        if fresh.organization_id == to.pk:
            raise DomainError(_("该党员已在此党组织，无需转接"))
        if not to.is_active:
            raise DomainError(_("不能转入已撤销的党组织"))
        transfer = MemberTransfer(
            member=fresh,
            from_organization_id=fresh.organization_id,
            to_organization=to,
            transferred_on=on or timezone.localdate(),
            recorded_by=by if getattr(by, "is_authenticated", False) else None,
            note=note,
        )
        transfer.full_clean()
        transfer.save()
        before = audit.snapshot(fresh)
        moved_from = fresh.organization_id
        fresh.organization = to
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=["organization", "updated_at"])
        tallies.adjust({(moved_from, tallies.MEMBERS): -1, (to.pk, tallies.MEMBERS): 1})
        audit.record(fresh, audit.Action.UPDATE, before, organization_id=to.pk)
        hooks.members_moved([fresh.pk])
    return transfer


def tree_problems() -> list[str]:
    """Compare the nested-set numbering with the parent links.

    Corrupt numbering is a scoping leak (scopes are lft/rght ranges), so bulk
    loads call this before they commit. Sorting each tree by ``lft`` and
    tracking the open ranges gives each node's parent as the numbering sees
    it; that must equal ``parent_id``, with consistent levels, widths and
    values 1..2n. Returns the problems found (empty when the tree is sound).
    """
    rows = Organization.objects.order_by("tree_id", "lft").values_list(
        "pk", "parent_id", "tree_id", "lft", "rght", "level"
    )
    problems: list[str] = []
    trees: dict[int, list[tuple[int, int | None, int, int, int]]] = {}
    for pk, parent, tree, lft, rght, level in rows:
        trees.setdefault(tree, []).append((pk, parent, lft, rght, level))
    for tree, nodes in trees.items():
        values = sorted(v for _, _, lft, rght, _ in nodes for v in (lft, rght))
        if values != list(range(1, 2 * len(nodes) + 1)):
            problems.append(f"tree {tree}: lft/rght are not 1..{2 * len(nodes)}")
            continue
        stack: list[tuple[int, int, int]] = []  # (pk, rght, level) of the open ranges
        for pk, parent, lft, rght, level in nodes:
            while stack and stack[-1][1] < lft:
                stack.pop()
            if stack and rght > stack[-1][1]:
                problems.append(f"#{pk}: range overlaps its container")
            numbered_parent = stack[-1][0] if stack else None
            if numbered_parent != parent:
                problems.append(
                    f"#{pk}: numbering puts it under #{numbered_parent}, parent is #{parent}"
                )
            expected_level = stack[-1][2] + 1 if stack else 0
            if level != expected_level:
                problems.append(f"#{pk}: level {level}, expected {expected_level}")
            stack.append((pk, rght, level))
    return problems
