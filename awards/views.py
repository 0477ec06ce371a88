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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from awards import document_jobs, quotas
from awards import selectors as award_selectors
from awards.models import Quota
from core.jobs import job_start
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
    is_office = nominations.is_office(request.user, round_)
    finalise_job = publicity.finalise_job_last(round_) if is_office else None
    context = {
        "round": round_,
        "rows": rows,
        "is_office": is_office,
        "finalise_job": finalise_job,
        "finalising": is_office and publicity.finalising_job(round_) is not None,
        "counts": [(label, counts.get(value, 0)) for value, label in Nomination.State.choices],
        "objections_open": publicity.objections_open(round_),
        "publicity_open": publicity.publicity_open(round_),
        "documents": [
            (value, label)
            for value, (kind, _params, label) in DOCUMENTS.items()
            if round_.state in document_jobs.READY[kind]
        ]
        if nominations.is_office(request.user, round_)
        else [],
    }
    return render(request, "awards/round_detail.html", context)


# What the round page's 文件 buttons start: (job kind, its parameters, label).
DOCUMENTS: dict[str, tuple[str, dict[str, Any], Any]] = {
    "decision": (document_jobs.DECISION, {}, gettext_lazy("表彰决定（PDF）")),
    "notice": (document_jobs.NOTICE, {}, gettext_lazy("公示通知（PDF）")),
    "certificates": (document_jobs.CERTIFICATES, {}, gettext_lazy("荣誉证书（PDF）")),
    "certificates_zip": (
        document_jobs.CERTIFICATES,
        {"zip": True},
        gettext_lazy("荣誉证书（每人一份，ZIP）"),
    ),
    "list_xlsx": (document_jobs.LIST, {"format": "xlsx"}, gettext_lazy("名单（XLSX）")),
    "list_csv": (document_jobs.LIST, {"format": "csv"}, gettext_lazy("名单（CSV）")),
    "upward": (document_jobs.UPWARD, {}, gettext_lazy("上报材料（名单和事迹材料，ZIP）")),
}


@login_required
@require_POST
def round_document(request: HttpRequest, pk: int) -> HttpResponse:
    """Start one of the round's documents as a job (the round read through the
    user's scope; the job reads it again when it runs)."""
    round_ = award_selectors.round_get(request.user, pk)
    if document_jobs.readable(request.user, round_.pk) is None:
        raise Http404
    chosen = DOCUMENTS.get(request.POST.get("kind", ""))
    if chosen is None or round_.state not in document_jobs.READY[chosen[0]]:
        messages.error(request, _("“%(round)s”现在不能生成这份文件") % {"round": round_.name})
        return redirect("awards:round_detail", pk=round_.pk)
    kind, params, _label = chosen
    if kind == document_jobs.NOTICE:
        params = {"url": request.build_absolute_uri(reverse("award_public", args=[round_.pk]))}
    job = job_start(kind=kind, user=request.user, params={"round": round_.pk, **params})
    return redirect("core:job_detail", pk=job.pk)


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
