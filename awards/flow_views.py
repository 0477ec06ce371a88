"""Pages of the award flow for each role: a unit's 推荐 (its quota, the
candidates with their eligibility, the form), a nomination's page (事迹, the
facts read, the chain of 层层推荐, the moves open to the reader), the round's
nomination list (what waits for whom), the office's 复审 ranking, its round
moves (开始推荐 / 公示 / 表彰) and objections. Every write goes through
``awards.nominations`` / ``awards.publicity``; a refusal comes back as its
message with nothing changed."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from awards import eligibility, nominations, publicity
from awards.models import AwardCategory, AwardRound, Nomination, NominationPhoto, Objection
from core import jobs
from core.models import Job
from orgs import selectors
from orgs.models import Member, Organization

CANDIDATES_SHOWN = 200


def _round_for(user: Any, pk: Any) -> AwardRound:
    """A round the user takes part in: a reviewer of its tree, or an editor of a
    unit in it (a branch nominates)."""
    try:
        round_ = AwardRound.objects.select_related("campaign__organization").get(pk=pk)
    except (AwardRound.DoesNotExist, ValueError):
        raise Http404 from None
    root = round_.campaign.organization
    if getattr(user, "is_superuser", False):
        return round_
    if (
        not selectors.organizations_for(user, selectors.EDIT_MEMBERS)
        .filter(selectors.tree_q(root))
        .exists()
    ):
        raise Http404
    return round_


def _category_for(user: Any, pk: Any) -> AwardCategory:
    try:
        category = AwardCategory.objects.select_related("round__campaign__organization").get(pk=pk)
    except (AwardCategory.DoesNotExist, ValueError):
        raise Http404 from None
    _round_for(user, category.round_id)
    return category


def _unit_for(user: Any, category: AwardCategory, pk: Any) -> Organization:
    root = category.round.campaign.organization
    try:
        return (
            selectors.organizations_for(user, selectors.EDIT_MEMBERS)
            .filter(selectors.tree_q(root))
            .get(pk=pk)
        )
    except (Organization.DoesNotExist, ValueError):
        raise Http404 from None


@login_required
@require_GET
def nomination_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's nominations the user may read, with what each waits for."""
    round_ = _round_for(request.user, pk)
    rows = list(
        nominations.nominations_for(request.user)
        .filter(round=round_)
        .order_by("category__position", "category_id", "unit__lft", "pk")[:500]
    )
    waiting = nominations.waiting_levels(rows)
    state = request.GET.get("state", "")
    if state in Nomination.State.values:
        rows = [n for n in rows if n.state == state]
    categories = list(round_.categories.all())
    starts = [
        (c, nominations.nominating_units(request.user, c))
        for c in categories
        if round_.state == AwardRound.State.NOMINATING
    ]
    context = {
        "round": round_,
        "rows": [(n, waiting.get(n.pk)) for n in rows],
        "states": Nomination.State.choices,
        "state": state,
        "starts": [(c, units) for c, units in starts if units],
        "is_office": nominations.is_office(request.user, round_),
        "categories": categories,
    }
    return render(request, "awards/nomination_list.html", context)


def _subject(category: AwardCategory, unit: Organization, raw: str) -> Any:
    if not raw.isdigit():
        return None
    found = nominations.candidates(category, unit).filter(pk=int(raw)).first()
    if found is not None:
        return found
    model = Organization if category.subject == AwardCategory.Subject.ORGANIZATION else Member
    return model.objects.filter(pk=int(raw)).first()


@login_required
@require_http_methods(["GET", "POST"])
def nominate(request: HttpRequest, pk: int, organization_pk: int) -> HttpResponse:
    """择优推荐 by a unit: the candidates with their eligibility read in bulk,
    the quota left, and the form (subject, 简要事迹, 事迹材料, photos)."""
    category = _category_for(request.user, pk)
    unit = _unit_for(request.user, category, organization_pk)
    problem = ""
    values = {"subject": "", "summary": "", "deeds": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        subject = _subject(category, unit, values["subject"].strip())
        if subject is None:
            problem = _("推荐对象：请从名单中选择")
        else:
            try:
                made = nominations.nomination_create(
                    user=request.user,
                    category=category,
                    unit=unit,
                    subject=subject,
                    summary=values["summary"],
                    deeds=values["deeds"],
                    photos=request.FILES.getlist("photos"),
                )
            except nominations.NominationError as error:
                problem = str(error)
            else:
                messages.success(request, _("已推荐，等待上级逐级审核"))
                return redirect("awards:nomination", pk=made.pk)
    people = list(nominations.candidates(category, unit)[:CANDIDATES_SHOWN])
    results = eligibility.evaluate(category, people)
    taken = set(
        Nomination.objects.filter(category=category)
        .exclude(state__in=Nomination.CLOSED)
        .values_list(
            "member_id" if eligibility.is_member_category(category) else "organization_id",
            flat=True,
        )
    )
    from awards.quotas import quota_for

    context = {
        "category": category,
        "round": category.round,
        "unit": unit,
        "quota": quota_for(category, unit),
        "used": nominations.used(category, unit),
        "candidates": [(p, results[p.pk], p.pk in taken) for p in people],
        "more": len(people) == CANDIDATES_SHOWN,
        "problem": problem,
        "values": values,
        "summary_max": nominations.SUMMARY_MAX,
        "deeds_max": nominations.DEEDS_MAX,
        "open": category.round.state == AwardRound.State.NOMINATING,
    }
    return render(request, "awards/nominate.html", context, status=400 if problem else 200)


MOVE_LABELS = {
    "endorse": gettext_lazy("同意推荐"),
    "reject": gettext_lazy("不同意推荐"),
    "vet": gettext_lazy("复审通过"),
    "return": gettext_lazy("退回推荐单位"),
    "resubmit": gettext_lazy("重新报送"),
    "withdraw": gettext_lazy("撤销推荐"),
}


@login_required
@require_GET
def nomination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = nominations.nomination_get(request.user, pk)
    from core import audit

    history = audit.record_history(
        audit.AuditEntry.objects.filter(model="awards.nomination", object_id=str(nomination.pk)),
        request.GET.get("page", 1),
    )
    open_moves = nominations.moves_open(request.user, nomination)
    waiting = (
        nominations.next_endorser(nomination)
        if nomination.state == Nomination.State.ENDORSING
        else None
    )
    context = {
        "nomination": nomination,
        "round": nomination.round,
        "chain": nominations.chain_rows(nomination),
        "waiting": waiting,
        "moves": [(v, MOVE_LABELS[v]) for v in open_moves],
        "needs_reason": {"reject", "return", "withdraw"},
        "photos": list(nomination.photos.all()),
        "history": history,
        "objections": list(nomination.objections.all())
        if nominations.is_office(request.user, nomination.round)
        else [],
        "member_org": nomination.member.organization if nomination.member else None,
    }
    return render(request, "awards/nomination_detail.html", context)


@login_required
@require_POST
def nomination_move(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = nominations.nomination_get(request.user, pk)
    verb = request.POST.get("verb", "")
    try:
        nominations.move(
            nomination=nomination,
            verb=verb,
            user=request.user,
            reason=request.POST.get("reason", ""),
            as_level=request.POST.get("level") or None,
        )
    except nominations.NominationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已%(move)s") % {"move": MOVE_LABELS.get(verb, verb)})
    return redirect("awards:nomination", pk=pk)


@login_required
@require_GET
def nomination_photo(request: HttpRequest, pk: int) -> FileResponse:
    try:
        photo = NominationPhoto.objects.get(pk=pk)
    except (NominationPhoto.DoesNotExist, ValueError):
        raise Http404 from None
    nominations.nomination_get(request.user, photo.nomination_id)
    response = FileResponse(photo.image.open("rb"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


def _office_round(request: HttpRequest, pk: int) -> AwardRound:
    round_ = _round_for(request.user, pk)
    if not nominations.is_office(request.user, round_):
        raise Http404
    return round_


@login_required
@require_POST
def round_move(request: HttpRequest, pk: int) -> HttpResponse:
    """开始推荐 / 公示 by the office; 表彰 (with the 成文日期) starts its job."""
    round_ = _office_round(request, pk)
    verb = request.POST.get("verb", "")
    decision_date = None
    raw = (request.POST.get("decision_date") or "").strip()
    if verb == "finalise" and raw:
        try:
            decision_date = dt.date.fromisoformat(raw)
        except ValueError:
            messages.error(request, _("成文日期“%(value)s”不是有效日期") % {"value": raw[:20]})
            return redirect("awards:round_detail", pk=pk)
    if verb == "finalise":
        return _finalise(request, round_, decision_date)
    try:
        publicity.round_move(round_=round_, verb=verb, user=request.user)
    except publicity.RoundError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("评选表彰已更新"))
    return redirect("awards:round_detail", pk=pk)


def _finalise(request: HttpRequest, round_: AwardRound, decision_date: Any) -> HttpResponse:
    """表彰 awards every vetted nomination (a district's 640 take 20 s): a job,
    which the round page shows. Without a broker it has run by now."""
    try:
        job, started = publicity.finalise_start(
            round_=round_, user=request.user, decision_date=decision_date
        )
    except publicity.RoundError as error:
        messages.error(request, str(error))
        return redirect("awards:round_detail", pk=round_.pk)
    job.refresh_from_db()
    if not started:
        messages.info(request, _("表彰正在后台进行，无需重复提交"))
    elif job.status == Job.Status.SUCCEEDED:
        messages.success(request, _("表彰已完成"))
    elif job.status == Job.Status.FAILED:
        messages.error(request, _("表彰未完成，原因见本页“表彰”"))
    else:
        messages.success(request, _("表彰已开始，在后台进行，完成后本页显示结果"))
    return redirect("awards:round_detail", pk=round_.pk)


@login_required
@require_GET
def finalise_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The round page's 表彰 partial (its finalise job); htmx polls it while the
    job runs and reloads the page once it has ended."""
    round_ = _office_round(request, pk)
    job = publicity.finalise_job_last(round_)
    if job is None:
        raise Http404
    response = render(request, "awards/_finalise_job.html", {"round": round_, "job": job})
    if job.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    """组织复审: the category's last ranking and the button to run it again."""
    category = _category_for(request.user, pk)
    if not nominations.is_office(request.user, category.round):
        raise Http404
    job = (
        Job.objects.filter(kind="award_ranking", params__category=category.pk)
        .order_by("-pk")
        .first()
    )
    rows = (job.result or {}).get("rows", []) if job and job.status == Job.Status.SUCCEEDED else []
    return render(
        request,
        "awards/ranking.html",
        {"category": category, "round": category.round, "job": job, "rows": rows},
    )


@login_required
@require_POST
def ranking_start(request: HttpRequest, pk: int) -> HttpResponse:
    category = _category_for(request.user, pk)
    if not nominations.is_office(request.user, category.round):
        raise Http404
    job = jobs.job_start(
        kind="award_ranking", user=request.user, params={"category": category.pk}, dedupe=True
    )
    return redirect("core:job_detail", pk=job.pk)


@login_required
@require_GET
def objection_list(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _office_round(request, pk)
    rows = round_.objections.select_related("nomination__member", "nomination__organization")
    return render(
        request,
        "awards/objection_list.html",
        {"round": round_, "rows": rows.order_by("state", "created_at")},
    )


@login_required
@require_POST
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        objection = Objection.objects.select_related("round").get(pk=pk)
    except (Objection.DoesNotExist, ValueError):
        raise Http404 from None
    round_ = _office_round(request, objection.round_id)
    decision = request.POST.get("decision", "")
    if decision not in ("uphold", "dismiss"):
        messages.error(request, _("处理结果：请选择“属实”或“不属实”"))
    else:
        try:
            publicity.objection_resolve(
                objection=objection,
                user=request.user,
                upheld=decision == "uphold",
                reason=request.POST.get("reason", ""),
            )
        except publicity.RoundError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("异议已处理"))
    return redirect("awards:objections", pk=round_.pk)
