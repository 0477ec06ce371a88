"""Pages of 评选表彰 for the office and the committees (``REVIEW``): the award
rounds with their categories, and the quota page of a category and an
organisation (its quota, its children's bases and quotas, 分配 / 调整 / 保留,
the history). Every write goes through ``awards.quotas``; a refusal comes back
as its message with nothing changed."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from awards import quotas
from awards import selectors as award_selectors
from awards.models import Quota
from orgs import selectors


def _office(request: HttpRequest) -> None:
    if not selectors.can_anywhere(request.user, selectors.REVIEW):
        raise PermissionDenied(_("只有活动办公室或党（工）委可以查看评选表彰"))


@login_required
@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    rounds = award_selectors.rounds_for(request.user).order_by("-nomination_deadline", "-pk")
    return render(request, "awards/round_list.html", {"rounds": rounds[:200]})


@login_required
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = award_selectors.round_get(request.user, pk)
    tops = award_selectors.tops_in(request.user, round_)
    categories = list(round_.categories.all())
    rows = [
        {
            "category": c,
            "units": [(top, quotas.quota_for(c, top)) for top in tops],
        }
        for c in categories
    ]
    from awards import nominations, publicity
    from awards.models import Nomination

    counts = dict(
        round_.nominations.order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    context = {
        "round": round_,
        "rows": rows,
        "is_office": nominations.is_office(request.user, round_),
        "counts": [(label, counts.get(value, 0)) for value, label in Nomination.State.choices],
        "objections_open": publicity.objections_open(round_),
        "publicity_open": publicity.publicity_open(round_),
    }
    return render(request, "awards/round_detail.html", context)


def _page(request: HttpRequest, pk: int, organization_pk: int, status: int = 200, **extra: Any):
    category = award_selectors.category_get(request.user, pk)
    unit = award_selectors.unit_get(request.user, category, organization_pk)
    own = Quota.objects.filter(category=category, organization=unit).first()
    children = quotas.quota_children(category, unit)
    amount = quotas.quota_for(category, unit)
    may_allocate = unit.pk == category.round.campaign.organization_id or own is not None
    ids = [r.quota.pk for r in children if r.quota] + ([own.pk] if own else [])
    context = {
        "category": category,
        "round": category.round,
        "unit": unit,
        "own": own,
        "amount": amount,
        "used": quotas.quota_used(category, unit),
        "children": children,
        "given": sum(r.quota.amount for r in children if r.quota),
        "allocated_any": any(r.quota for r in children),
        "may_allocate": may_allocate and bool(children),
        "may_keep": own is not None
        and not own.allocated
        and not own.kept
        and own.source != Quota.Source.OFFICE,
        "ancestors": selectors.visible_ancestors(request.user, unit),
        "history": quotas.history(ids)[:50],
        **extra,
    }
    return render(request, "awards/quota.html", context, status=status)


@login_required
@require_GET
def quota_page(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    return _page(request, pk, organization_pk)


def _back(pk: int, organization_pk: int) -> HttpResponse:
    return redirect("awards:quota", pk=pk, organization_pk=organization_pk)


@login_required
@require_POST
def quota_allocate(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    category = award_selectors.category_get(request.user, pk)
    unit = award_selectors.unit_get(request.user, category, organization_pk)
    try:
        quotas.quota_allocate(user=request.user, category=category, organization=unit)
    except quotas.QuotaError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已按比例把名额分配到下级"))
    return _back(pk, organization_pk)


@login_required
@require_POST
def quota_adjust(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    """调整: the children's amounts as posted (``amount-<quota id>``) and a reason."""
    category = award_selectors.category_get(request.user, pk)
    unit = award_selectors.unit_get(request.user, category, organization_pk)
    rows = list(Quota.objects.filter(category=category, organization__parent=unit))
    wanted: dict[int, int] = {}
    for row in rows:
        raw = (request.POST.get(f"amount-{row.pk}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit():
            messages.error(
                request,
                _("%(unit)s的名额“%(value)s”不是不小于 0 的整数，未作修改")
                % {"unit": row.organization.name, "value": raw[:20]},
            )
            return _back(pk, organization_pk)
        wanted[row.pk] = int(raw)
    changed = {k: v for k, v in wanted.items() if v != next(r.amount for r in rows if r.pk == k)}
    if not changed:
        messages.error(request, _("名额没有变化，未作修改"))
        return _back(pk, organization_pk)
    first = next(iter(changed))
    quota = next(r for r in rows if r.pk == first)
    try:
        quotas.quota_override(
            user=request.user,
            quota=quota,
            amount=changed[first],
            reason=request.POST.get("reason", ""),
            others=changed,
        )
    except quotas.QuotaError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("名额已调整"))
    return _back(pk, organization_pk)


@login_required
@require_POST
def quota_keep(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    category = award_selectors.category_get(request.user, pk)
    unit = award_selectors.unit_get(request.user, category, organization_pk)
    own = Quota.objects.filter(category=category, organization=unit).first()
    if own is None:
        messages.error(request, _("%(unit)s没有这个项目的名额") % {"unit": unit.name})
        return _back(pk, organization_pk)
    try:
        quotas.quota_keep(user=request.user, quota=own)
    except quotas.QuotaError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已确认保留名额，不再向下分配"))
    return _back(pk, organization_pk)
