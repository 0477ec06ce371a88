"""Pages of 群众评议 for staff: the surveys of the subtrees the user reviews
(office, committee: ``REVIEW``), a new survey, the results per subject and for
the subtree, issuing / voiding / reissuing code batches, the paper tallies
(entered by the unit itself or those above it) and the opinions (for the
subject's parent only). A survey or subject out of reach is a 404."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.selectors import campaigns_for
from orgs import selectors
from reviews import rectify, survey_results, surveys
from reviews import selectors as review_selectors
from reviews.choices import EvaluatorKind, RoundState
from reviews.models_surveys import (
    DEFAULT_QUESTIONS,
    SurveyCodeBatch,
    SurveyResponse,
    SurveySubject,
    SurveyTally,
)
from reviews.survey_forms import BatchForm, SurveyForm, TallyForm

SUBJECTS_PAGE = 100


def _office(request: HttpRequest) -> None:
    if not selectors.can_anywhere(request.user, selectors.REVIEW):
        raise PermissionDenied(_("只有活动办公室或上级党组织可以组织群众评议"))


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    rows = surveys.surveys_for(request.user).order_by("-opens_on", "-pk")[:200]
    return render(request, "reviews/survey/list.html", {"surveys": rows})


def _rounds_taking_surveys(request: HttpRequest):
    """The rounds not yet closed that the user runs and whose kind counts a 群众评议."""
    return (
        review_selectors.rounds_for(request.user, selectors.REVIEW)
        .filter(
            state__in=[RoundState.DRAFT, RoundState.OPEN],
            kind__evaluators__evaluator=EvaluatorKind.PUBLIC,
        )
        .distinct()
        .order_by("-opens_on", "pk")
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_new(request: HttpRequest) -> HttpResponse:
    _office(request)
    today = timezone.localdate()
    tops = selectors.top_organizations_for(request.user, selectors.REVIEW)
    pks = list(tops.values_list("pk", flat=True)[:50])
    asked = request.GET.get("organization") or request.POST.get("organization")
    if asked and str(asked).isdigit():
        pks.append(int(asked))
    form = SurveyForm(
        request.POST or None,
        initial={
            "organization": request.GET.get("organization"),
            "opens_on": today,
            "closes_on": today + dt.timedelta(days=14),
            "questions": "\n".join(DEFAULT_QUESTIONS),
        },
        campaigns=campaigns_for(request.user, selectors.REVIEW).order_by("-start_date"),
        organizations=selectors.organizations_for(request.user, selectors.REVIEW).filter(
            pk__in=pks
        ),
        rounds=_rounds_taking_surveys(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = surveys.survey_create(
                user=request.user,
                campaign=data["campaign"],
                organization=data["organization"],
                title=data["title"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                target=data["target"],
                questions=data["questions"],
                subject_kind=data["subject_kind"],
                round_=data.get("round"),
            )
        except surveys.SurveyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("已建立群众评议，共 %(n)s 个评议对象；请为各评议对象发放评议码")
                % {"n": survey.subjects.count()},
            )
            return redirect("reviews:survey_detail", pk=survey.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/survey/new.html", {"form": form}, status=status)


@login_required
@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Results: the subtree's figures, then each subject's, with its batches, a
    page of ``SUBJECTS_PAGE`` subjects at a time (a survey of members has
    thousands)."""
    survey = surveys.survey_get(request.user, pk)
    page = Paginator(survey_results.subjects_ordered(survey), SUBJECTS_PAGE).get_page(
        request.GET.get("page")
    )
    rows = survey_results.subject_rows(survey, page.object_list)
    batches: dict[int, list[SurveyCodeBatch]] = {}
    shown = [row["subject"].pk for row in rows]
    for batch in SurveyCodeBatch.objects.filter(subject_id__in=shown).order_by("pk"):
        batches.setdefault(batch.subject_id, []).append(batch)
    for row in rows:
        row["batches"] = batches.get(row["subject"].pk, [])
        row["opinions"] = surveys.may_read_opinions(request.user, row["subject"])
    context = {
        "survey": survey,
        "total": survey_results.subtree_summary(survey, survey.organization),
        "rows": rows,
        "page": page,
        "uncovered": surveys.uncovered(survey).count(),
        "choices": [c["label"] for c in survey.choices],
        "batch_form": BatchForm(initial={"size": 30}),
    }
    return render(request, "reviews/survey/detail.html", context)


@login_required
@require_POST
def survey_issue(request: HttpRequest, subject_pk: int) -> HttpResponse:
    subject = surveys.subject_get(request.user, subject_pk)
    form = BatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("评议码数量应为 1 至 20000 之间的整数"))
        return redirect("reviews:survey_detail", pk=subject.survey_id)
    try:
        batch = surveys.batch_request(
            user=request.user, subject=subject, size=form.cleaned_data["size"]
        )
    except surveys.SurveyError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:survey_detail", pk=subject.survey_id)
    messages.success(
        request,
        _("正在为“%(unit)s”生成 %(n)s 张评议卡，完成后请下载打印")
        % {"unit": subject.label, "n": batch.size},
    )
    return redirect("core:job_detail", pk=batch.job_id)


@login_required
@require_POST
def survey_issue_all(request: HttpRequest, pk: int) -> HttpResponse:
    """为全部评议对象发放: N codes for every subject still without, in one job."""
    survey = surveys.survey_get(request.user, pk)
    form = BatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("评议码数量应为 1 至 20000 之间的整数"))
        return redirect("reviews:survey_detail", pk=survey.pk)
    try:
        batches, job = surveys.batches_request(
            user=request.user, survey=survey, size=form.cleaned_data["size"]
        )
    except surveys.SurveyError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:survey_detail", pk=survey.pk)
    messages.success(
        request,
        _("正在为 %(n)s 个评议对象各生成 %(size)s 张评议卡，完成后请下载打印")
        % {"n": len(batches), "size": form.cleaned_data["size"]},
    )
    return redirect("core:job_detail", pk=job.pk)


def _batch(request: HttpRequest, pk: int) -> SurveyCodeBatch:
    batch = (
        SurveyCodeBatch.objects.select_related("subject__survey__organization")
        .filter(pk=pk)
        .first()
    )
    if batch is None or not surveys.may_manage(request.user, batch.subject.survey):
        raise Http404
    return batch


@login_required
@require_POST
def batch_void(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    reissue = request.POST.get("reissue") == "1"
    try:
        if reissue:
            new = surveys.batch_reissue(user=request.user, batch=batch)
        else:
            surveys.batch_void(user=request.user, batch=batch)
    except surveys.SurveyError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:survey_detail", pk=batch.subject.survey_id)
    if reissue:
        messages.success(request, _("原批次已作废，正在生成新的评议卡"))
        return redirect("core:job_detail", pk=new.job_id)
    messages.success(request, _("这批评议码已作废，未使用的评议码不能再评议"))
    return redirect("reviews:survey_detail", pk=batch.subject.survey_id)


@login_required
@require_http_methods(["GET", "POST"])
def survey_tally(request: HttpRequest, subject_pk: int) -> HttpResponse:
    """纸质评议: the unit (or those above) enters the counts of a meeting's forms,
    one entry per meeting; ``?tally=`` corrects one entered before."""
    subject = surveys.subject_get(request.user, subject_pk, selectors.EDIT_MEMBERS)
    survey = subject.survey
    tallies = list(subject.tallies.all())
    tally = None
    wanted = request.GET.get("tally", "")
    if wanted:
        tally = next((t for t in tallies if str(t.pk) == wanted), None)
        if tally is None:
            raise Http404
    initial: dict = {"held_on": timezone.localdate()}
    if tally is not None:
        initial = {
            "held_on": tally.held_on,
            "attendees": tally.attendees,
            "forms_count": tally.forms,
        }
        for q, row in enumerate(tally.counts):
            for c, n in enumerate(row):
                initial[f"q{q}_{c}"] = n
    form = TallyForm(request.POST or None, initial=initial, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.tally_save(
                user=request.user,
                subject=subject,
                attendees=form.cleaned_data["attendees"],
                forms=form.cleaned_data["forms_count"],
                counts=form.counts(),
                held_on=form.cleaned_data["held_on"],
                tally=tally,
            )
        except surveys.SurveyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("“%(unit)s”的纸质评议结果已保存") % {"unit": subject.label})
            return redirect("reviews:survey_tally", subject_pk=subject.pk)
    status = 400 if request.method == "POST" else 200
    context = {
        "survey": survey,
        "subject": subject,
        "form": form,
        "tally": tally,
        "tallies": tallies,
        "unit_members": _unit_member_subjects(subject),
    }
    return render(request, "reviews/survey/tally.html", context, status=status)


def _unit_member_subjects(subject: SurveySubject) -> list[SurveySubject]:
    """For a member subject, the other members of the unit in the same survey
    (each with ``tallied``), so the secretary goes from one to the next."""
    if subject.member_id is None:
        return []
    return list(
        SurveySubject.objects.filter(
            survey_id=subject.survey_id,
            organization_id=subject.organization_id,
            member__isnull=False,
        )
        .select_related("member")
        .annotate(tallied=Exists(SurveyTally.objects.filter(subject=OuterRef("pk"))))
        .order_by("member__number")[:500]
    )


@login_required
@require_GET
def survey_opinions(request: HttpRequest, subject_pk: int) -> HttpResponse:
    """The free-text opinions of a subject, for its parent only (never public,
    never the subject itself); in no order that follows the answers."""
    subject = surveys.subject_get(request.user, subject_pk, selectors.READ)
    if not surveys.may_read_opinions(request.user, subject):
        raise Http404
    opinions = (
        SurveyResponse.objects.filter(subject=subject)
        .exclude(opinion="")
        .order_by("opinion")
        .values_list("opinion", flat=True)
    )
    context = {
        "survey": subject.survey,
        "subject": subject,
        "opinions": list(opinions[:2000]),
        "may_rectify": rectify.may_open(
            request.user, subject.organization, rectify.SourceKind.SURVEY_OPINION
        ),
        "opened": rectify.opened_from(rectify.SourceKind.SURVEY_OPINION, subject.pk),
    }
    return render(request, "reviews/survey/opinions.html", context)
