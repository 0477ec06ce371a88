"""Pages of 随机抽查, for the office and the committees (``REVIEW``): the rounds of
checks, the draw, a round's sample and how it was drawn, each unit's check,
and the 检查通报. A round outside the user's reach is a 404, as a missing one.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign import bulletins
from campaign.models import Plan
from campaign.selectors import campaigns_for
from core.jobs import job_start
from orgs import selectors
from reviews import spotcheck, spotcheck_documents
from reviews.models_spotcheck import SpotCheck
from reviews.spotcheck_forms import SpotCheckForm, SpotCheckRoundForm

PAGE_SIZE = 50


def _office(request: HttpRequest) -> None:
    if not selectors.can_anywhere(request.user, selectors.REVIEW):
        raise PermissionDenied(_("只有活动办公室或上级党组织可以开展随机抽查"))


@login_required
@require_GET
def spotcheck_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    rounds = (
        spotcheck.rounds_for(request.user)
        .annotate(
            units=Count("checks"),
            checked=Count("checks", filter=Q(checks__state=SpotCheck.State.CHECKED)),
        )
        .order_by("-drawn_at", "-pk")
    )
    page = Paginator(rounds, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/spotcheck/list.html", {"page": page, "query": ""})


def _organizations(request: HttpRequest):
    """The subtrees offered: the user's top organisations reviewed, and the one
    named by ``?organization=`` if the user reviews it."""
    tops = selectors.top_organizations_for(request.user, selectors.REVIEW)
    pks = list(tops.values_list("pk", flat=True)[:50])
    asked = request.GET.get("organization") or request.POST.get("organization")
    if asked and str(asked).isdigit():
        pks.append(int(asked))
    return selectors.organizations_for(request.user, selectors.REVIEW).filter(pk__in=pks)


@login_required
@require_http_methods(["GET", "POST"])
def spotcheck_new(request: HttpRequest) -> HttpResponse:
    _office(request)
    form = SpotCheckRoundForm(
        request.POST or None,
        initial={"organization": request.GET.get("organization"), "stratify": True},
        campaigns=campaigns_for(request.user, selectors.REVIEW).order_by("-start_date"),
        organizations=_organizations(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = spotcheck.spot_check_draw(
                user=request.user,
                campaign=data["campaign"],
                organization=data["organization"],
                title=data["title"],
                size=data["size"],
                percent=data["percent"],
                stratify=data["stratify"],
                kinds=data["kinds"],
            )
        except spotcheck.SpotCheckError as exc:
            form.add_error(None, str(exc))
        else:
            found = spotcheck.redraw(round_)
            messages.success(
                request, _("已抽取 %(n)s 个单位，请逐一检查") % {"n": len(round_.sample)}
            )
            if found.grown:
                messages.info(
                    request,
                    _(
                        "按领域分层时每个领域至少抽取 1 个：共 %(strata)s 个领域，"
                        "实际抽取 %(n)s 个，多于所定的 %(k)s 个"
                    )
                    % {"strata": len(found.strata), "n": len(found.sample), "k": found.asked},
                )
            return redirect("reviews:spotcheck_detail", pk=round_.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/spotcheck/new.html", {"form": form}, status=status)


@login_required
@require_GET
def spotcheck_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = spotcheck.round_get(request.user, pk)
    context = spotcheck_documents.report_context(round_)
    context["population_text"] = " ".join(f"{u}:{s}" for u, s in round_.population)
    # The 检查通报 landed among the bulletins (by the report job): 发布为检查通报 there.
    context["bulletin"] = bulletins.source_bulletin(spotcheck_documents.BULLETIN_SOURCE, round_.pk)
    return render(request, "reviews/spotcheck/detail.html", context)


def _data_said(check: SpotCheck) -> dict[str, str]:
    """What the data said at the draw, as the check form's hints."""
    known: dict[str, Any] = check.prefilled or {}
    state = known.get("plan_state") or ""
    plan = Plan.State(state).label if state in Plan.State.values else _("没有实施方案")
    rate = known.get("satisfaction")
    yes, no = _("是"), _("否")
    return {
        "plan_filed": _("抽取时系统数据：%(v)s") % {"v": plan},
        "pledges_public": _("抽取时系统数据：%(v)s")
        % {"v": yes if known.get("pledges_public") else no},
        "meeting_held": _("抽取时系统数据：%(v)s")
        % {"v": yes if known.get("meeting_held") else no},
        "satisfaction": _("抽取时系统数据：%(v)s")
        % {"v": f"{rate}%" if rate else _("—（尚无群众评议数据）")},
    }


@login_required
@require_http_methods(["GET", "POST"])
def spotcheck_check(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    round_ = spotcheck.round_get(request.user, pk)
    check = spotcheck.check_get(round_, organization_pk)
    check.round = round_
    initial = {name: getattr(check, name) for name in spotcheck.CHECK_FIELDS}
    initial["done"] = check.state == SpotCheck.State.CHECKED
    form = SpotCheckForm(request.POST or None, initial=initial)
    for name, hint in _data_said(check).items():
        form.fields[name].help_text = hint
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            spotcheck.spot_check_save(
                check=check,
                user=request.user,
                values={name: data[name] for name in spotcheck.CHECK_FIELDS},
                done=data["done"],
            )
        except spotcheck.SpotCheckError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("“%(unit)s”的检查情况已保存") % {"unit": check.organization.name}
            )
            return redirect("reviews:spotcheck_detail", pk=round_.pk)
    status = 400 if request.method == "POST" else 200
    context = {"round": round_, "check": check, "unit": check.organization, "form": form}
    context.update(_rectification(request, check))
    return render(request, "reviews/spotcheck/check.html", context, status=status)


def _rectification(request: HttpRequest, check: SpotCheck) -> dict[str, Any]:
    """开整改 from the unit's findings (once), or the item opened from them."""
    from reviews import rectify
    from reviews.models_rectify import Rectification

    item = (
        rectify.rectifications_for(request.user).filter(pk=check.rectification_id).first()
        if check.rectification_id
        else None
    )
    may_open = (
        item is None
        and check.state == SpotCheck.State.CHECKED
        and bool(check.findings.strip())
        and rectify.may_open(request.user, check.organization, Rectification.SourceKind.SPOT_CHECK)
    )
    return {"rectification": item, "may_rectify": may_open}


@login_required
@require_POST
def spotcheck_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's 检查通报, by a job; the user goes to its page."""
    round_ = spotcheck.round_get(request.user, pk)
    job = job_start(
        kind=spotcheck_documents.REPORT,
        user=request.user,
        params={"round": round_.pk},
        dedupe=True,
    )
    return redirect("core:job_detail", pk=job.pk)
