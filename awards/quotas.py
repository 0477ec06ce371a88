"""名额: handing a category's quota down the tree, adjusting it, keeping it.

**Where a quota starts.** The campaign root's quota of a category is the
category's total (``root_quota``: created on first use, ``Source.OFFICE``).

**Allocation** (``quota_allocate``, by ``REVIEW`` on the allocating unit): the
unit's quota is shared among its active direct children in proportion to their
basis, the members of each child's subtree or its active 党支部 (read from the
stored tallies, ``orgs.tallies``: one grouped query, however large the
subtrees), by the largest-remainder (Hamilton) method in ``hamilton``:

1. with a minimum per child, a child whose exact share ``quota × base / Σ
   base`` is below the minimum gets the minimum and leaves the sharing; the
   rest share what is left, again, until no exact share is below the minimum;
2. each child left gets its exact share rounded down;
3. the seats still over go one each to the largest remainders; ties go to the
   larger base, then to the earlier child in tree order.

Allocating again replaces the children's quotas, unless a child has already
handed its own down (then its children would no longer add up: refused).

**Adjusting** (``quota_override``, by the allocating level, reason required):
one child's amount is set, with other siblings' amounts changed along in the
same call when the total must stay; the children's quotas must add up to the
parent's, or nothing is changed. A child that already handed its quota down
cannot be changed.

**Keeping** (``quota_keep``): a unit that received a quota says it keeps it
(its own nominations use it) instead of handing it down; until it does one or
the other, its 待办 says so (``awards.hooks``).

``quota_for`` and ``quota_used`` are what nominations read.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from awards.models import AwardCategory, AwardRound, Quota
from core import audit, bulk, workflow
from core.models import AuditEntry
from orgs import selectors
from orgs.models import Organization, OrganizationTally

BRANCH_KINDS = (Organization.Kind.BRANCH, Organization.Kind.TEMPORARY_BRANCH)
REASON_MIN = 4


class QuotaError(workflow.DomainError):
    """A quota change the rules refuse; the message is for the user."""


# ------------------------------------------------------------------ arithmetic


def hamilton(total: int, bases: Sequence[int], minimum: int = 0) -> list[int]:
    """Share ``total`` among children with ``bases`` (in tree order) by largest
    remainder, at least ``minimum`` each (see the module's docstring for the
    steps and the ties). Raises ``QuotaError`` when the minimums do not fit or
    nothing is there to share by."""
    n = len(bases)
    if n == 0:
        raise QuotaError(_("没有下级党组织，无法分配名额"))
    if minimum * n > total:
        raise QuotaError(
            _(
                "每个下级至少 %(minimum)s 个名额，%(n)s 个下级共需 %(need)s 个，超过可分配的 %(total)s 个"
            )
            % {"minimum": minimum, "n": n, "need": minimum * n, "total": total}
        )
    shares = [0] * n
    fixed: set[int] = set()
    while True:
        left = [i for i in range(n) if i not in fixed]
        rest = total - minimum * len(fixed)
        base_sum = sum(bases[i] for i in left)
        if not left:
            break
        if base_sum == 0:
            if rest and not minimum:
                raise QuotaError(_("下级党组织的分配基数合计为 0，无法按比例分配名额"))
            exact = {i: Fraction(0) for i in left}
        else:
            exact = {i: Fraction(rest * bases[i], base_sum) for i in left}
        below = [i for i in left if exact[i] < minimum]
        if below:
            fixed.update(below)
            continue
        for i in left:
            shares[i] = int(exact[i])  # floor: exact is non-negative
        over = rest - sum(shares[i] for i in left)
        ranked = sorted(left, key=lambda i: (-(exact[i] - shares[i]), -bases[i], i))
        for i in ranked[:over]:
            shares[i] += 1
        break
    for i in fixed:
        shares[i] = minimum
    return shares


# ------------------------------------------------------------------ reads


def root_quota(category: AwardCategory) -> Quota:
    """The campaign root's quota of the category: its total (created on first use)."""
    root_id = category.round.campaign.organization_id
    quota, created = Quota.objects.get_or_create(
        category=category,
        organization_id=root_id,
        defaults={"amount": category.total_quota, "source": Quota.Source.OFFICE},
    )
    if created:
        audit.record(quota, audit.Action.CREATE, organization_id=root_id, verb=_("设定名额"))
    elif not quota.allocated and quota.amount != category.total_quota:
        before = audit.snapshot(quota)
        quota.amount = category.total_quota
        quota.save(update_fields=["amount"])
        audit.record(quota, audit.Action.UPDATE, before, organization_id=root_id)
    return quota


def quota_for(category: AwardCategory, organization: Organization) -> int:
    """How many of the category the organisation has: its quota, the total for
    the campaign root, 0 for a unit that received none."""
    row = Quota.objects.filter(category=category, organization=organization).first()
    if row is not None:
        return row.amount
    return category.total_quota if organization.pk == category.round.campaign.organization_id else 0


def quota_used(category: AwardCategory, organization: Organization) -> int:
    """How much of the organisation's quota is taken: its own nominations and
    those it endorsed (层层推荐), not rejected or withdrawn
    (``awards.nominations.quota_used_q``, here and nowhere else)."""
    from awards.nominations import used

    return used(category, organization)


def basis_counts(category: AwardCategory, organizations: Sequence[Organization]) -> dict[int, int]:
    """Each organisation's base for the category's basis, from the stored
    subtree tallies in one grouped query: members anywhere in its subtree, or its
    active 党支部 (itself included if it is one)."""
    pks = [o.pk for o in organizations]
    rows = OrganizationTally.objects.filter(organization_id__in=pks)
    if category.basis == AwardCategory.Basis.BRANCHES:
        keys = Q()
        for kind in BRANCH_KINDS:
            keys |= Q(key__startswith="units@", key__endswith=f".{kind}")
        rows = rows.filter(keys)
    else:
        rows = rows.filter(key="members")
    found = dict(
        rows.order_by()
        .values("organization_id")
        .annotate(n=Sum("subtree"))
        .values_list("organization_id", "n")
    )
    return {pk: int(found.get(pk) or 0) for pk in pks}


@dataclass(frozen=True)
class ChildRow:
    organization: Organization
    base: int
    quota: Quota | None
    proposed: int | None


def quota_children(category: AwardCategory, organization: Organization) -> list[ChildRow]:
    """The quota page's rows: each active child, its base, its quota if it has
    one, and what allocating now would give it (None when it cannot)."""
    kids = list(selectors.children(organization).filter(is_active=True))
    bases = basis_counts(category, kids)
    quotas = {
        q.organization_id: q for q in Quota.objects.filter(category=category, organization__in=kids)
    }
    try:
        proposed: list[int | None] = list(
            hamilton(
                quota_for(category, organization),
                [bases[k.pk] for k in kids],
                category.minimum_per_child,
            )
        )
    except QuotaError:
        proposed = [None] * len(kids)
    return [
        ChildRow(kid, bases[kid.pk], quotas.get(kid.pk), share)
        for kid, share in zip(kids, proposed, strict=True)
    ]


# ------------------------------------------------------------------ writes


# Quotas are handed down while the round is being prepared or nominated for;
# from 公示 on the list is fixed.
ALLOCATING = (AwardRound.State.DRAFT, AwardRound.State.NOMINATING)


def _still_allocating(round_: AwardRound) -> None:
    if round_.state not in ALLOCATING:
        raise QuotaError(
            _("%(round)s%(state)s，名额不能再分配或调整")
            % {"round": round_.name, "state": round_.get_state_display()}
        )


def _may_allocate(user: Any, category: AwardCategory, organization: Organization) -> None:
    root_id = category.round.campaign.organization_id
    _still_allocating(category.round)
    if organization.tree_id != category.round.campaign.organization.tree_id:
        raise QuotaError(_("%(unit)s不在本活动范围内") % {"unit": organization.name})
    if not selectors.can(user, selectors.REVIEW, organization):
        raise QuotaError(
            _("只有%(unit)s或其上级可以分配%(unit)s的名额") % {"unit": organization.name}
        )
    if (
        organization.pk != root_id
        and not Quota.objects.filter(category=category, organization=organization).exists()
    ):
        raise QuotaError(
            _("%(unit)s还没有%(category)s名额，不能向下分配")
            % {"unit": organization.name, "category": category.name}
        )


def _parent_quota(category: AwardCategory, organization: Organization) -> Quota:
    if organization.pk == category.round.campaign.organization_id:
        root_quota(category)
    return Quota.objects.select_for_update().get(category=category, organization=organization)


def _save(quota: Quota, before: dict[str, Any] | None, verb: str) -> None:
    quota.full_clean()
    quota.save()
    audit.record(
        quota,
        audit.Action.CREATE if before is None else audit.Action.UPDATE,
        before,
        organization_id=quota.organization_id,
        verb=verb,
    )


def _handed_down(category: AwardCategory, organizations: Sequence[int]) -> list[str]:
    return list(
        Quota.objects.filter(category=category, organization__parent_id__in=organizations)
        .values_list("organization__parent__name", flat=True)
        .distinct()
    )


@transaction.atomic
def quota_allocate(
    *, user: Any, category: AwardCategory, organization: Organization
) -> list[Quota]:
    """Hand the organisation's quota down to its active children by largest
    remainder (the module's docstring); replaces an earlier allocation unless a
    child has handed its own down. Returns the children's quotas in tree order."""
    _may_allocate(user, category, organization)
    parent = _parent_quota(category, organization)
    kids = list(selectors.children(organization).filter(is_active=True))
    bases = basis_counts(category, kids)
    shares = hamilton(parent.amount, [bases[k.pk] for k in kids], category.minimum_per_child)
    existing = {
        q.organization_id: q
        for q in Quota.objects.select_for_update().filter(category=category, organization__in=kids)
    }
    blocked = _handed_down(category, [k.pk for k in kids])
    changed = [
        k
        for k, s in zip(kids, shares, strict=True)
        if k.pk in existing and existing[k.pk].amount != s
    ]
    if blocked and changed:
        raise QuotaError(
            _("%(units)s已把名额分配到下级，不能重新分配；请用“调整”")
            % {"units": "、".join(blocked)}
        )
    # One INSERT for the new quotas, one UPDATE for the changed ones, one INSERT
    # for their audit entries: a district's hundred streets are not a hundred
    # saves (benchmarks/awards_quota.py). The amounts are computed here, whole
    # and not negative, so there is nothing for full_clean to refuse.
    now = timezone.now()
    out, created, updated, befores = [], [], [], {}
    for kid, share in zip(kids, shares, strict=True):
        quota = existing.get(kid.pk)
        if quota is None:
            quota = Quota(category=category, organization=kid)
            created.append(quota)
        else:
            befores[quota.pk] = audit.snapshot(quota)
            updated.append(quota)
        quota.amount = share
        quota.basis_count = bases[kid.pk]
        quota.source = Quota.Source.ALLOCATED
        quota.reason = ""
        quota.changed_by = user
        quota.changed_at = now
        out.append(quota)
    Quota.objects.bulk_create(created)
    fields = ["amount", "basis_count", "source", "reason", "changed_by", "changed_at"]
    bulk.update_fields(Quota, updated, fields)
    verb = _("分配名额")
    entries = []
    for quota in out:
        before = befores.get(quota.pk)
        changes = audit.diff(before, audit.snapshot(quota))
        if before is not None and not changes:
            continue
        entries.append(
            audit.entry(
                action=audit.Action.CREATE if before is None else audit.Action.UPDATE,
                model=quota._meta.label_lower,
                object_id=quota.pk,
                object_repr=f"{quota.organization.name}·{category.name}",
                changes=changes,
                organization_id=quota.organization_id,
                at=now,
                verb=verb,
            )
        )
    AuditEntry.objects.bulk_create(entries)
    before = audit.snapshot(parent)
    parent.allocated, parent.kept = True, False
    parent.save(update_fields=["allocated", "kept"])
    audit.record(
        parent,
        audit.Action.UPDATE,
        before,
        organization_id=parent.organization_id,
        verb=_("分配名额"),
    )
    return out


@transaction.atomic
def quota_override(
    *,
    user: Any,
    quota: Quota,
    amount: int,
    reason: str,
    others: Mapping[int, int] | None = None,
) -> list[Quota]:
    """Set a child's quota (and, in ``others`` {quota id: amount}, its siblings'
    in the same change) by the allocating level, with a reason. The children's
    quotas must still add up to the parent's; otherwise nothing is changed."""
    reason = (reason or "").strip()
    _still_allocating(quota.category.round)
    unit = quota.organization
    parent_org = unit.parent
    if parent_org is None:
        raise QuotaError(_("活动所在党组织的名额就是名额总数，请在系统管理中修改表彰项目"))
    if not selectors.can(user, selectors.REVIEW, parent_org):
        raise QuotaError(_("只有分配名额的%(unit)s可以调整") % {"unit": parent_org.name})
    if len(reason) < REASON_MIN:
        raise QuotaError(_("调整名额必须填写理由（至少 %(n)s 个字）") % {"n": REASON_MIN})
    category = quota.category
    parent = _parent_quota(category, parent_org)
    siblings = {
        q.pk: q
        for q in Quota.objects.select_for_update().filter(
            category=category, organization__parent=parent_org
        )
    }
    wanted = {quota.pk: amount} | dict(others or {})
    for pk, value in wanted.items():
        if pk not in siblings:
            raise QuotaError(_("要调整的名额不属于%(unit)s的下级") % {"unit": parent_org.name})
        if not isinstance(value, int) or value < 0:
            raise QuotaError(
                _("%(unit)s的名额必须是不小于 0 的整数") % {"unit": siblings[pk].organization.name}
            )
    total = sum(wanted.get(pk, q.amount) for pk, q in siblings.items())
    if total != parent.amount:
        raise QuotaError(
            _("调整后下级名额合计 %(total)s 个，与%(unit)s的名额 %(parent)s 个不符，未作修改")
            % {"total": total, "unit": parent_org.name, "parent": parent.amount}
        )
    changed = [pk for pk, value in wanted.items() if siblings[pk].amount != value]
    blocked = _handed_down(category, [siblings[pk].organization_id for pk in changed])
    if blocked:
        raise QuotaError(
            _("%(units)s已把名额分配到下级，不能调整它的名额") % {"units": "、".join(blocked)}
        )
    now = timezone.now()
    out = []
    for pk in changed:
        row = siblings[pk]
        before = audit.snapshot(row)
        row.amount = wanted[pk]
        row.source = Quota.Source.OVERRIDDEN
        row.reason = reason
        row.changed_by = user
        row.changed_at = now
        _save(row, before, _("调整名额"))
        out.append(row)
    return out


@transaction.atomic
def quota_keep(*, user: Any, quota: Quota) -> Quota:
    """The unit keeps its quota (its own nominations use it) instead of handing it down."""
    quota = Quota.objects.select_for_update().select_related("category__round").get(pk=quota.pk)
    _still_allocating(quota.category.round)
    if not selectors.can(user, selectors.REVIEW, quota.organization):
        raise QuotaError(_("只有%(unit)s或其上级可以确认") % {"unit": quota.organization.name})
    if quota.allocated:
        raise QuotaError(_("名额已分配到下级"))
    before = audit.snapshot(quota)
    quota.kept = True
    quota.save(update_fields=["kept"])
    audit.record(
        quota,
        audit.Action.UPDATE,
        before,
        organization_id=quota.organization_id,
        verb=_("确认保留名额"),
    )
    return quota


def waiting_quotas(user: Any):
    """Quotas received by the units the user answers for (``REVIEW`` granted on
    them directly) that are neither handed down nor kept: the 待办."""
    units = selectors.own_units(user, selectors.REVIEW)
    return (
        Quota.objects.filter(
            organization__in=units,
            allocated=False,
            kept=False,
            category__round__state__in=ALLOCATING,
        )
        .exclude(source=Quota.Source.OFFICE)
        .select_related("category__round", "organization")
    )


def history(quotas: Sequence[int]):
    """The audit entries of these quotas, newest first."""
    return AuditEntry.objects.filter(
        model="awards.quota", object_id__in=[str(pk) for pk in quotas]
    ).order_by("-at", "-pk")
