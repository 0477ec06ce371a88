"""Pages for review rounds (讲评评议).

Each view: look up through the scoping selectors (404 outside scope) → check the
permission → validate a form → call one ``reviews.services`` function → render
or redirect. Refused moves come back as messages (``core.views.move_response``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.models import Milestone
from campaign.selectors import campaign_get
from core import workflow
from core.forms import ReasonForm
from core.views import move_response
from orgs import selectors
from reviews import services
from reviews.forms import RoundForm
from reviews.models import ReviewRound
from reviews.selectors import kinds_for, round_get, rounds_for

PAGE_SIZE = 50


def _back(round_: ReviewRound) -> HttpResponse:
    return redirect("reviews:round_detail", pk=round_.pk)


@login_required
@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = rounds_for(request.user).order_by("-opens_on", "-pk")
    state = request.GET.get("state", "")
    if state in ReviewRound.State.values:
        rounds = rounds.filter(state=state)
    context = {
        "page": Paginator(rounds, PAGE_SIZE).get_page(request.GET.get("page")),
        "state": state,
        "states": ReviewRound.State.choices,
        "runs_reviews": selectors.can_anywhere(request.user, selectors.REVIEW),
        "query": f"state={state}" if state else "",
    }
    return render(request, "reviews/round_list.html", context)


def _organizations(request: HttpRequest):
    """The subtrees offered for a new round: the user's top organisations, and
    the one named by ``?organization=`` (from its page) if the user reviews it."""
    tops = selectors.top_organizations_for(request.user, selectors.REVIEW)
    pks = list(tops.values_list("pk", flat=True)[:50])
    asked = request.GET.get("organization") or request.POST.get("organization")
    if asked and str(asked).isdigit():
        pks.append(int(asked))
    return selectors.organizations_for(request.user, selectors.REVIEW).filter(pk__in=pks)


@login_required
@require_http_methods(["GET", "POST"])
def round_new(request: HttpRequest) -> HttpResponse:
    if not selectors.can_anywhere(request.user, selectors.REVIEW):
        raise PermissionDenied(_("只有活动办公室或上级党组织可以开展评议"))
    form = RoundForm(
        request.POST or None,
        initial={"organization": request.GET.get("organization")},
        kinds=kinds_for(request.user),
        organizations=_organizations(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = services.round_create(
                user=request.user,
                campaign=data["kind"].campaign,
                kind=data["kind"],
                organization=data["organization"],
                period=data["period"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
            )
        except services.ReviewError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("评议轮次已创建（筹备），开启后各评议对象即可评议"))
            return _back(round_)
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/round_new.html", {"form": form}, status=status)


@login_required
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = round_get(request.user, pk)
    flow = services.WORKFLOW
    user = request.user
    context = {
        "round": round_,
        "kind": round_.kind,
        "evaluators": list(round_.kind.evaluators.all()),
        "grades": list(round_.kind.grades.all()),
        "may": {verb: workflow.may(flow, verb, obj=round_, user=user) for verb in flow.moves},
        "reopen_form": ReasonForm(move=flow.moves["reopen"]),
    }
    return render(request, "reviews/round_detail.html", context)


def _move(request: HttpRequest, pk: int, move, done: str, reason: bool = False) -> HttpResponse:
    round_ = round_get(request.user, pk)
    return move_response(
        request,
        move,
        done=done,
        back=_back(round_),
        reason_for=services.WORKFLOW.moves["reopen"] if reason else None,
        round_=round_,
    )


@login_required
@require_POST
def round_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, services.round_open, _("评议已开启"))


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, services.round_close, _("评议已结束，评分已锁定"))


@login_required
@require_POST
def round_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, services.round_publish, _("评议结果已公布"))


@login_required
@require_POST
def round_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, services.round_reopen, _("评议已重新开启"), reason=True)


# ------------------------------------------------------------------ the cadence


@login_required
@require_GET
def cadence(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """The campaign's review milestones with the kinds held at each, and whether
    their district round exists; the office opens one in a single action."""
    campaign = campaign_get(request.user, campaign_pk, selectors.READ_RECORDS)
    milestones = (
        campaign.milestones.filter(kind=Milestone.Kind.REVIEW)
        .prefetch_related("review_kinds", "review_rounds")
        .order_by("date", "pk")
    )
    rows = []
    for milestone in milestones:
        kinds = list(milestone.review_kinds.all())
        if not kinds:
            continue
        done = {
            r.kind_id: r
            for r in milestone.review_rounds.all()
            if r.organization_id == campaign.organization_id
        }
        rows.append((milestone, [(kind, done.get(kind.pk)) for kind in kinds]))
    context = {
        "campaign": campaign,
        "rows": rows,
        "runs_district": selectors.can(request.user, selectors.REVIEW, campaign.organization),
    }
    return render(request, "reviews/cadence.html", context)


@login_required
@require_POST
def cadence_open(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(Milestone.objects.select_related("campaign__organization"), pk=pk)
    campaign = campaign_get(request.user, milestone.campaign_id, selectors.READ_RECORDS)
    back = redirect("reviews:cadence", campaign_pk=campaign.pk)
    if not selectors.can(request.user, selectors.REVIEW, campaign.organization):
        raise PermissionDenied(_("只有活动办公室可以开启全区评议"))
    try:
        made = services.rounds_from_milestone(user=request.user, milestone=milestone)
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return back
    if made:
        messages.success(
            request,
            _("已开启 %(n)s 轮评议：%(names)s")
            % {"n": len(made), "names": "、".join(str(r) for r in made)},
        )
    else:
        messages.info(request, _("这个时间节点的评议都已开启"))
    return back
