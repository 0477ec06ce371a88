"""Pages for review rounds (讲评评议).

Each view: look up through the scoping selectors (404 outside scope) → check the
permission → validate a form → call one ``reviews.services`` function → render
or redirect. Refused moves come back as messages (``core.views.move_response``).
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.models import Milestone
from campaign.selectors import campaign_get
from core import workflow
from core.forms import ReasonForm
from core.views import move_response
from orgs import selectors
from orgs.models import Sector
from reviews import gridfile, meetings, services, sheets
from reviews.choices import BallotForm, EvaluatorKind
from reviews.forms import MeetingForm, RoundForm, StatementForm
from reviews.models import Meeting, PaperTally, Review, ReviewRound, ScoreSheet, Statement
from reviews.progress import progress_unit
from reviews.results import review_detail, unit_opinions
from reviews.selectors import (
    comment_rounds,
    kinds_for,
    own_results,
    own_statements,
    peer_round_get,
    peer_rounds,
    result_children,
    results_filtered,
    results_for,
    review_get,
    round_get,
    rounds_for,
    upward_rounds,
)

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
        "mine": list(own_results(request.user)),
        "peer_rounds": list(peer_rounds(request.user)),
        "upward": upward_rounds(request.user),
        "statements": list(own_statements(request.user)),
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
        "subjects": Review.objects.filter(round=round_).count(),
        "kind": round_.kind,
        "evaluators": list(round_.kind.evaluators.all()),
        "grades": list(round_.kind.grades.all()),
        "may": {verb: workflow.may(flow, verb, obj=round_, user=user) for verb in flow.moves},
        "reopen_form": ReasonForm(move=flow.moves["reopen"]),
        "my_grids": [g for g in sheets.own_grids(user) if g.round.pk == round_.pk],
        "my_meetings": [
            unit
            for unit in selectors.own_units(user)
            if round_.kind.subject == "member"
            and selectors.contains(round_.organization, unit)
            and Review.objects.filter(round=round_, organization=unit).exists()
        ],
        "results_visible": results_for(user, round_) is not None,
        "my_comment": round_.state == ReviewRound.State.OPEN
        and round_.kind.subject == "organization"
        and any(r.pk == round_.pk for r, _units in comment_rounds(user)),
        "opening": services.opening_job(round_)
        if round_.state == ReviewRound.State.DRAFT
        else None,
        "progress_unit": progress_unit(user, round_),
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
    """开启: at once, or for a large subtree by a job whose progress the round's page shows."""
    round_ = round_get(request.user, pk)
    try:
        job = services.round_open_start(round_=round_, user=request.user)
    except services.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        if job is None:
            messages.success(request, _("评议已开启"))
        else:
            messages.info(
                request,
                _("评议对象共 %(n)s 个，正在后台开启；完成后本页状态变为“进行中”")
                % {"n": job.params["subjects"]},
            )
    return _back(round_)


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
    opened = [r for r in made if r.state == ReviewRound.State.OPEN]
    if opened:
        messages.success(
            request,
            _("已开启 %(n)s 轮评议：%(names)s")
            % {"n": len(opened), "names": "、".join(str(r) for r in opened)},
        )
    if len(opened) < len(made):
        messages.info(
            request,
            _("评议对象较多，正在后台开启：%(names)s")
            % {"names": "、".join(str(r) for r in made if r not in opened)},
        )
    if not made:
        messages.info(request, _("这个时间节点的评议都已开启"))
    return back


# ------------------------------------------------------------------ the grid


def _grid_entries(request: HttpRequest, reviews, criteria) -> dict[int, sheets.Entry]:
    """The posted grid: ``s-<review>-<code>`` scores, ``g-<review>`` a grade,
    ``o-<review>`` an opinion; a row with nothing typed is left out."""
    entries = {}
    for review in reviews:
        values = {c.code: request.POST.get(f"s-{review.pk}-{c.code}", "") for c in criteria}
        grade = request.POST.get(f"g-{review.pk}", "")
        opinion = request.POST.get(f"o-{review.pk}", "")
        if any(str(v).strip() for v in values.values()) or grade.strip() or opinion.strip():
            entries[review.pk] = sheets.Entry(values, grade, opinion)
    return entries


def _grid_rows(
    request: HttpRequest,
    reviews,
    criteria,
    stored: dict[int, ScoreSheet],
    *,
    posted: bool,
    lock: bool,
) -> list[dict]:
    """The grid template's rows: per subject its score cells, grade and opinion,
    as posted when a save was refused (``posted``), else as stored. ``lock``: a
    submitted sheet is shown read-only (the anonymous kinds submit once)."""
    by_id = {str(c.pk): c.code for c in criteria}
    rows = []
    for review in reviews:
        sheet = stored.get(review.pk)
        saved = {by_id.get(k): v for k, v in (sheet.scores if sheet else {}).items()}

        def shown(name: str, stored_value: Any) -> str:
            return (request.POST.get(name) if posted else stored_value) or ""

        rows.append(
            {
                "review": review,
                "cells": [
                    {
                        "criterion": c,
                        "name": f"s-{review.pk}-{c.code}",
                        "value": shown(f"s-{review.pk}-{c.code}", saved.get(c.code)),
                    }
                    for c in criteria
                ],
                "sheet": sheet,
                "grade": shown(f"g-{review.pk}", sheet.grade if sheet else ""),
                "opinion": shown(f"o-{review.pk}", sheet.opinion if sheet else ""),
                "locked": lock and bool(sheet and sheet.state == ScoreSheet.State.SUBMITTED),
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def grid(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    """评分: the unit scores all its subjects on one page (a row per member or unit,
    a column per criterion; cards on a phone)."""
    round_ = round_get(request.user, pk)
    unit = selectors.organization_get(request.user, organization_pk)
    if not selectors.contains(round_.organization, unit):
        raise Http404
    if not sheets.may_grid(request.user, round_, unit):
        raise PermissionDenied(_("只有“%(unit)s”或其上级可以评分") % {"unit": unit.name})
    kind = round_.kind
    criteria = list(kind.rubric.criteria.all())
    reviews = list(sheets.grid_reviews(round_, unit))
    evaluator = sheets.grid_evaluator(round_)
    status = 200
    if request.method == "POST":
        entries = _grid_entries(request, reviews, criteria)
        submit = "submit" in request.POST
        try:
            n = sheets.grid_save(
                round_=round_, unit=unit, user=request.user, entries=entries, submit=submit
            )
        except services.ReviewError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(
                request,
                (_("已提交 %(n)s 人的评分") if submit else _("已保存 %(n)s 人的评分（草稿）"))
                % {"n": n},
            )
            return redirect("reviews:grid", pk=round_.pk, organization_pk=unit.pk)
    stored = {
        s.review_id: s
        for s in ScoreSheet.objects.filter(
            review__in=reviews,
            evaluator=evaluator,
            evaluator_key=sheets.grid_key(evaluator, unit, request.user),
        )
    }
    rows = _grid_rows(request, reviews, criteria, stored, posted=status == 400, lock=False)
    context = {
        "round": round_,
        "kind": kind,
        "unit": unit,
        "criteria": criteria,
        "rows": rows,
        "grades": list(kind.grades.all()),
        "open": round_.state == ReviewRound.State.OPEN,
        "evaluator": EvaluatorKind(evaluator).label,
        "uses_self": kind.evaluators.filter(evaluator=EvaluatorKind.SELF).exists(),
        "uses_paper": kind.evaluators.exclude(
            evaluator__in=[EvaluatorKind.SELF, EvaluatorKind.LEADER]
        ).exists(),
    }
    return render(request, "reviews/grid.html", context, status=status)


# ------------------------------------------------------------------ results


@login_required
@require_GET
def results(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's results the user may read, best first, filtered by grade,
    sector or a child unit's subtree; per evaluator kind the mean (never below
    the minimum number of evaluators) and the weight it counted with."""
    round_ = round_get(request.user, pk)
    found = results_for(request.user, round_)
    kind = round_.kind
    evaluators = list(kind.evaluators.all())
    context: dict = {
        "round": round_,
        "kind": kind,
        "evaluators": evaluators,
        "visible": found is not None,
    }
    if found is not None:
        grade = request.GET.get("grade", "")
        sector = request.GET.get("sector", "")
        child = request.GET.get("child", "")
        children = result_children(round_)
        found = results_filtered(found, round_, {"grade": grade, "sector": sector, "child": child})
        # The page is found among the ids alone (read from the rank indexes, an
        # index-only scan however deep the page), then its 50 rows with their units.
        page = Paginator(found.values_list("pk", flat=True), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        shown = found.filter(pk__in=list(page)).in_bulk()
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            page=page,
            rows=[
                (r, [(r.breakdown.get(e.evaluator, {}), e) for e in evaluators])
                for r in (shown[pk] for pk in page)
            ],
            grades=list(kind.grades.all()),
            grade=grade,
            sectors=Sector.objects.all(),
            sector=sector,
            children=children,
            child=child,
            query=query.urlencode(),
        )
    return render(request, "reviews/results.html", context)


# ------------------------------------------------------------------ 讲评会, 自评陈述, 纸质票, 互评


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    """讲评会记录 of a unit for the round."""
    round_ = round_get(request.user, pk)
    unit = selectors.organization_get(request.user, organization_pk)
    if not selectors.contains(round_.organization, unit):
        raise Http404
    if not selectors.can(request.user, selectors.EDIT_MEMBERS, unit):
        raise PermissionDenied(_("只有“%(unit)s”或其上级可以录入讲评会") % {"unit": unit.name})
    stored = Meeting.objects.filter(round=round_, organization=unit).first()
    initial = (
        {
            f: getattr(stored, f)
            for f in ("held_on", "place", "attendees", "public_attendees", "minutes")
        }
        if stored
        else {"public_attendees": 0}
    )
    form = MeetingForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                meetings.meeting_save(
                    round_=round_, unit=unit, user=request.user, values=form.cleaned_data
                )
            except services.ReviewError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("讲评会记录已保存"))
                return redirect("reviews:meeting", pk=round_.pk, organization_pk=unit.pk)
    context = {"round": round_, "unit": unit, "form": form, "stored": stored}
    return render(request, "reviews/meeting.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def statement(request: HttpRequest, review_pk: int) -> HttpResponse:
    """自评陈述, beside the subject's published pledges and 践诺 in the period."""
    review = review_get(request.user, review_pk)
    if not meetings.may_state(request.user, review):
        raise PermissionDenied(_("只有本人或本支部可以填写自评陈述"))
    stored = Statement.objects.filter(review=review).first()
    form = StatementForm(request.POST or None, initial={"text": stored.text if stored else ""})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                meetings.statement_save(
                    review=review, user=request.user, text=form.cleaned_data["text"]
                )
            except services.ReviewError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("自评陈述已保存"))
                return redirect("reviews:statement", review_pk=review.pk)
    context = {
        "review": review,
        "round": review.round,
        "form": form,
        "stored": stored,
        "pledges": meetings.pledges_for_period(review),
    }
    return render(request, "reviews/statement.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def tally(request: HttpRequest, review_pk: int) -> HttpResponse:
    """纸质票: the ballots one evaluator kind cast on paper for this subject."""
    review = review_get(request.user, review_pk)
    if not selectors.can(request.user, selectors.EDIT_MEMBERS, review.organization):
        raise PermissionDenied(
            _("只有“%(unit)s”可以录入纸质票") % {"unit": review.organization.name}
        )
    kind = review.round.kind
    criteria = list(kind.rubric.criteria.all())
    grades = list(kind.grades.all())
    evaluators = [
        e
        for e in kind.evaluators.all()
        if e.evaluator not in (EvaluatorKind.SELF, EvaluatorKind.LEADER)
    ]
    status = 200
    if request.method == "POST":
        status = 400
        evaluator = request.POST.get("evaluator", "")
        try:
            if evaluator not in {e.evaluator for e in evaluators}:
                raise services.ReviewError(_("请选择评议主体"))
            if kind.ballot == BallotForm.GRADE:
                counts = {g.label: request.POST.get(f"g-{g.pk}", "0") or "0" for g in grades}
                sheets.tally_enter(
                    review=review,
                    user=request.user,
                    evaluator=evaluator,
                    ballots=request.POST.get("ballots"),  # type: ignore[arg-type]
                    grade_counts=counts,
                )
            else:
                totals = {c.code: request.POST.get(f"t-{c.code}", "") for c in criteria}
                sheets.tally_enter(
                    review=review,
                    user=request.user,
                    evaluator=evaluator,
                    ballots=request.POST.get("ballots"),  # type: ignore[arg-type]
                    totals={k: v for k, v in totals.items() if str(v).strip()},
                )
        except services.ReviewError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("纸质票已录入"))
            return redirect("reviews:tally", review_pk=review.pk)
    context = {
        "review": review,
        "round": review.round,
        "kind": kind,
        "criteria": criteria,
        "grades": grades,
        "evaluators": evaluators,
        "tallies": list(PaperTally.objects.filter(review=review)),
        "posted": request.POST if status == 400 else {},
    }
    return render(request, "reviews/tally.html", context, status=status)


def _personal_sheets(
    request: HttpRequest,
    *,
    round_: ReviewRound,
    reviews: list[Review],
    evaluator: str,
    key: str,
    done: Callable[[int, bool], str],
    again: str,
    lock: bool,
    save: Callable[[dict[int, sheets.Entry], bool], int] | None = None,
    **context: Any,
) -> HttpResponse:
    """The page where one evaluator (a member, a unit, a contact-point leader)
    fills their own sheets, a row per subject: 党员互评, 下级评上级, 联系点点评.
    ``save(entries, submit)`` writes them all or none (by default
    ``sheets.sheets_save`` as the user); ``key`` is the evaluator's
    ``evaluator_key``, which finds their own sheets and nobody else's."""
    kind = round_.kind
    criteria = list(kind.rubric.criteria.all())
    status = 200
    if request.method == "POST":
        submit = "submit" in request.POST
        try:
            entries = _grid_entries(request, reviews, criteria)
            saved = (
                save(entries, submit)
                if save is not None
                else sheets.sheets_save(
                    reviews=reviews,
                    user=request.user,
                    evaluator=evaluator,
                    entries=entries,
                    submit=submit,
                )
            )
        except services.ReviewError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, done(saved, submit))
            return redirect(again)
    mine = {
        s.review_id: s
        for s in ScoreSheet.objects.filter(
            review__in=reviews, evaluator=evaluator, evaluator_key=key
        )
    }
    rows = _grid_rows(request, reviews, criteria, mine, posted=status == 400, lock=lock)
    page = {
        "round": round_,
        "kind": kind,
        "criteria": criteria,
        "rows": rows,
        "grades": list(kind.grades.all()),
        "open": True,
        "evaluator": EvaluatorKind(evaluator).label,
        "personal": True,
        **context,
    }
    return render(request, "reviews/grid.html", page, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def peer(request: HttpRequest, pk: int) -> HttpResponse:
    """党员互评: a member scores each co-member of the branch (never themself);
    one submitted sheet per co-member, anonymous to everyone else."""
    round_ = peer_round_get(request.user, pk)
    own = selectors.own_member(request.user)
    assert own is not None  # peer_round_get found the user's member record
    reviews = list(
        Review.objects.filter(
            round=round_, organization_id=own.organization_id, member__isnull=False
        )
        .exclude(member=own)
        .select_related("member", "organization")
        .order_by("member__number")
    )
    return _personal_sheets(
        request,
        round_=round_,
        reviews=reviews,
        evaluator=EvaluatorKind.PEER,
        key=f"u{request.user.pk}",
        done=lambda n, submit: _("已保存对 %(n)s 人的互评") % {"n": n},
        again=reverse("reviews:peer", kwargs={"pk": round_.pk}),
        lock=True,
        unit=own.organization,
        anonymous_note=_(
            "党员互评不记名：您的评分只计入汇总，任何人都看不到是谁评的；每人只能提交一次。"
        ),
    )


@login_required
@require_GET
def subject(request: HttpRequest, review_pk: int) -> HttpResponse:
    """One subject's result: per evaluator kind its mean and per criterion the
    means of the kinds shown, the opinions (never who gave an anonymous one),
    the 自评陈述."""
    review = review_get(request.user, review_pk)
    round_ = review.round
    own = selectors.own_member(request.user)
    mine = own is not None and review.member_id == own.pk
    visible = results_for(request.user, round_)
    if mine:
        readable = round_.state == ReviewRound.State.PUBLISHED
    else:
        readable = visible is not None and visible.filter(pk=review.pk).exists()
    if not readable:
        raise Http404
    detail = review_detail(review)
    context = {"review": review, "round": round_, "detail": detail}
    context.update(_rectify_links(request, review, detail))
    return render(request, "reviews/subject.html", context)


def _rectify_links(request: HttpRequest, review: Review, detail: dict[str, Any]) -> dict[str, Any]:
    """开整改 from the subject's opinions and 点评, for those who review it from above,
    and the items already opened from them."""
    from reviews import rectify
    from reviews.choices import EvaluatorKind

    kinds = rectify.Rectification.SourceKind
    leader = str(EvaluatorKind.LEADER.label)
    labels = [label for label, texts in detail["opinions"] if texts]
    may = rectify.may_open(request.user, review.organization, kinds.REVIEW_OPINION)
    return {
        "rectify_opinions": may and any(label != leader for label in labels),
        "rectify_comments": may and leader in labels,
        "rectified": rectify.rectifications_for(request.user).filter(
            source_kind__in=[kinds.REVIEW_OPINION, kinds.LEADER_COMMENT], source_id=review.pk
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def grid_file(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    """The grid as an XLSX file (GET), or a filled one uploaded back (POST, all or nothing)."""
    round_ = round_get(request.user, pk)
    unit = selectors.organization_get(request.user, organization_pk)
    if not selectors.contains(round_.organization, unit):
        raise Http404
    if not sheets.may_grid(request.user, round_, unit):
        raise PermissionDenied(_("只有“%(unit)s”或其上级可以评分") % {"unit": unit.name})
    back = redirect("reviews:grid", pk=round_.pk, organization_pk=unit.pk)
    if request.method == "GET":
        data = gridfile.workbook(round_, unit, request.user)
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"{unit.code}-{round_.period}评分表.xlsx"
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要上传的评分表"))
        return back
    if (upload.size or 0) > settings.IMPORT_MAX_BYTES:
        messages.error(request, _("文件过大"))
        return back
    submit = "submit" in request.POST
    try:
        entries, labels = gridfile.entries_from_file(round_, unit, upload.read(), upload.name or "")
        n = sheets.grid_save(
            round_=round_,
            unit=unit,
            user=request.user,
            entries=entries,
            submit=submit,
            labels=labels,
        )
    except services.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            (
                _("已从表格提交 %(n)s 人的评分")
                if submit
                else _("已从表格保存 %(n)s 人的评分（草稿）")
            )
            % {"n": n},
        )
    return back


@login_required
@require_GET
def opinions(request: HttpRequest, pk: int) -> HttpResponse:
    """意见汇总: a closed round's opinions per unit, for the 整改 that follows."""
    round_ = round_get(request.user, pk)
    found = results_for(request.user, round_)
    context = {
        "round": round_,
        "visible": found is not None,
        "units": unit_opinions(round_, found) if found is not None else [],
    }
    return render(request, "reviews/opinions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def upward(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    """下级评上级: the user's unit scores the organisation above it, anonymously
    (one submitted sheet per lower unit; nobody sees which unit gave which score)."""
    found = [
        (r, u)
        for r, u in upward_rounds(request.user)
        if r.pk == int(pk) and u.pk == int(organization_pk)
    ]
    if not found:
        raise Http404
    round_, unit = found[0]
    review = Review.objects.select_related("organization").get(
        round=round_, organization_id=unit.parent_id, member__isnull=True
    )

    def save(entries: dict[int, sheets.Entry], submit: bool) -> int:
        sheets.sheet_save(
            review=review,
            user=request.user,
            evaluator=EvaluatorKind.UPWARD,
            entry=entries.get(review.pk, sheets.Entry({})),
            submit=submit,
            unit=unit,
        )
        return 1

    return _personal_sheets(
        request,
        round_=round_,
        reviews=[review],
        evaluator=EvaluatorKind.UPWARD,
        key=f"o{unit.pk}",
        save=save,
        done=lambda n, submit: _("评议已保存"),
        again=reverse("reviews:upward", kwargs={"pk": round_.pk, "organization_pk": unit.pk}),
        lock=True,
        unit=unit,
        anonymous_note=_(
            "下级评上级不记名：只计入汇总，任何人都看不到是哪个组织评的；每个组织只能提交一次。"
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    """领导点评 by a contact-point leader: a rating (or scores) and a comment on
    each unit of their contact points in the round, on one page."""
    found = [units for r, units in comment_rounds(request.user) if r.pk == int(pk)]
    if not found:
        raise Http404
    round_ = ReviewRound.objects.select_related("kind__rubric", "campaign").get(pk=pk)
    reviews = list(
        Review.objects.filter(round=round_, member__isnull=True, organization_id__in=found[0])
        .select_related("organization")
        .order_by("organization__lft")
    )
    return _personal_sheets(
        request,
        round_=round_,
        reviews=reviews,
        evaluator=EvaluatorKind.LEADER,
        key=f"u{request.user.pk}",
        done=lambda n, submit: (
            (_("已提交对 %(n)s 个单位的点评") if submit else _("已保存对 %(n)s 个单位的点评"))
            % {"n": n}
        ),
        again=reverse("reviews:comment", kwargs={"pk": round_.pk}),
        lock=False,
        heading=str(round_),
    )
