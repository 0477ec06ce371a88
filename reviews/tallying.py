"""The stored counts of reviews (``orgs.tallies``) the 工作进度 dashboard reads.

Three counters, each kept by ``tallies.adjust``/``follow`` in the transaction
of the write that changes it and recountable by ``recount``/``check_tallies``:

* ``rectify.<campaign>.<figure>`` per owner unit: ``open`` (not yet 已核验:
  待整改, 整改中, 已完成), ``overdue`` (the stored ``overdue`` flag of the daily
  job ``rectification_flag_overdue``), ``verified``; kept by the workflow's
  ``changed``, ``rectification_open`` and the daily job.
* ``grades.<campaign>.<round>.<grade band>`` per reviewed unit or member's
  branch: the graded subjects of a round, kept where the results job stores
  the grades (``reviews.results``). The dashboard reads the latest 已结束/已公布
  round of each review kind over the organisation.
* ``satisfaction.<campaign>.satisfied`` / ``.valid`` per surveyed unit (surveys
  of organisations): satisfied and valid answers over all questions, so the
  满意率 of any subtree is sum / sum; kept by ``surveys.answer`` and
  ``surveys.tally_save``.
"""

import datetime as dt
from collections import Counter as Multiset
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from campaign.trends import quarter_key, recounted
from orgs import tallies

RECTIFY = "rectify"
OPEN, OVERDUE, VERIFIED = "open", "overdue", "verified"
OPENED = "opened"  # by quarter only: rectifications 交办 in the quarter
GRADES = "grades"
SATISFACTION = "satisfaction"
SATISFIED, VALID = "satisfied", "valid"


def rectify_key(campaign_id: int, figure: str) -> str:
    return f"{RECTIFY}.{campaign_id}.{figure}"


def rectify_counted(item: Any) -> list[tuple[int, str]]:
    """The figures a rectification counts in: open until verified, overdue while
    flagged, verified; and by quarter (``campaign.trends``) opened in the
    quarter it was 交办, verified in that of its 核验."""
    figures = [VERIFIED if item.state == "verified" else OPEN]
    if item.overdue:
        figures.append(OVERDUE)
    found = [(item.organization_id, rectify_key(item.campaign_id, f)) for f in figures]
    if item.created_at is not None:
        found.append(
            (item.organization_id, quarter_key(RECTIFY, item.campaign_id, item.created_at, OPENED))
        )
    if item.state == "verified" and item.verified_at is not None:
        found.append(
            (
                item.organization_id,
                quarter_key(RECTIFY, item.campaign_id, item.verified_at, VERIFIED),
            )
        )
    return found


def rectify_overdue(item: Any) -> list[tuple[int, str]]:
    """The overdue figure alone (the daily job flags and clears it)."""
    return [(item.organization_id, rectify_key(item.campaign_id, OVERDUE))]


def rectify_changed(before: Any, after: Any) -> None:
    """The workflow's ``changed``: the item's figures follow its new state and flag."""
    tallies.follow(rectify_counted(before), rectify_counted(after))


@tallies.register(RECTIFY)
def rectifications_per_organization() -> Iterator[tuple[int, str, int]]:
    from reviews.models_rectify import Rectification

    rows = (
        Rectification.objects.order_by()
        .values_list("organization_id", "campaign_id")
        .annotate(
            open=Count("pk", filter=~Q(state="verified")),
            overdue=Count("pk", filter=Q(overdue=True)),
            verified=Count("pk", filter=Q(state="verified")),
        )
    )
    for organization_id, campaign_id, open_n, overdue, verified in rows:
        for figure, n in ((OPEN, open_n), (OVERDUE, overdue), (VERIFIED, verified)):
            yield organization_id, rectify_key(campaign_id, figure), n
    yield from recounted(Rectification.objects.all(), RECTIFY, "created_at", OPENED)
    yield from recounted(
        Rectification.objects.filter(state="verified"), RECTIFY, "verified_at", VERIFIED
    )


# ------------------------------------------------------------------ grades


def grade_key(campaign_id: int, round_id: int, band_id: int) -> str:
    return f"{GRADES}.{campaign_id}.{round_id}.{band_id}"


def grade_prefix(campaign_id: int) -> str:
    return f"{GRADES}.{campaign_id}."


def parse_grade_key(key: str) -> tuple[int, int] | None:
    """(round, band) of a whole grade key."""
    parts = key.split(".")
    if len(parts) != 4 or "@" in key:
        return None
    return int(parts[2]), int(parts[3])


def _bands() -> dict[tuple[int, str], int]:
    from reviews.models import GradeBand

    return {
        (k, label): pk for pk, k, label in GradeBand.objects.values_list("pk", "kind_id", "label")
    }


@tallies.register(GRADES)
def grades_per_organization() -> Iterator[tuple[int, str, int]]:
    from reviews.models import Review

    bands = _bands()
    rows = (
        Review.objects.exclude(grade="")
        .order_by()
        .values_list("organization_id", "round__campaign_id", "round_id", "round__kind_id", "grade")
        .annotate(n=Count("pk"))
    )
    for organization_id, campaign_id, round_id, kind_id, grade, n in rows:
        band = bands.get((kind_id, grade))
        if band is not None:
            yield organization_id, grade_key(campaign_id, round_id, band), n


def round_grades(round_: Any) -> Multiset[tuple[int, str]]:
    """A round's graded subjects as stored now, per (organisation, grade key)."""
    from reviews.models import Review

    bands = {
        label: pk
        for pk, label in round_.kind.grades.values_list("pk", "label")  # one query
    }
    found: Multiset[tuple[int, str]] = Multiset()
    rows = (
        Review.objects.filter(round=round_)
        .exclude(grade="")
        .order_by()
        .values_list("organization_id", "grade")
        .annotate(n=Count("pk"))
    )
    for organization_id, grade, n in rows:
        if grade in bands:
            found[(organization_id, grade_key(round_.campaign_id, round_.pk, bands[grade]))] += n
    return found


def grades_follow(round_: Any, before: Multiset[tuple[int, str]]) -> None:
    """After the results job stored a round's grades: the stored counts follow."""
    after = round_grades(round_)
    after.subtract(before)
    tallies.adjust(dict(after))


# ------------------------------------------------------------------ 满意率


def satisfaction_key(campaign_id: int, figure: str) -> str:
    return f"{SATISFACTION}.{campaign_id}.{figure}"


def _satisfied_choices(survey: Any) -> set[int]:
    return {i for i, c in enumerate(survey.choices) if c.get("satisfied")}


def answer_figures(survey: Any, answers: Sequence[Any]) -> tuple[int, int]:
    """(satisfied, valid) answers of one web response (as ``subject_figures``)."""
    nq, nc = len(survey.questions), len(survey.choices)
    ok = _satisfied_choices(survey)
    valid = [c for c in answers[:nq] if isinstance(c, int) and 0 <= c < nc]
    return sum(1 for c in valid if c in ok), len(valid)


def tally_figures(survey: Any, counts: Iterable[Sequence[int]]) -> tuple[int, int]:
    """(satisfied, valid) answers of a paper tally (``counts[q] = [per choice…, invalid]``)."""
    nq, nc = len(survey.questions), len(survey.choices)
    ok = _satisfied_choices(survey)
    satisfied = valid = 0
    for row in list(counts)[:nq]:
        valid += sum(row[:nc])
        satisfied += sum(n for c, n in enumerate(row[:nc]) if c in ok)
    return satisfied, valid


Figures = tuple[int, int, Any]  # (satisfied, valid, the day they were given)


def _satisfaction_deltas(
    organization_id: int, campaign_id: int, figures: Figures | None
) -> Multiset[tuple[int, str]]:
    """A unit's satisfied and valid answers, in total and in their day's quarter."""
    found: Multiset[tuple[int, str]] = Multiset()
    if figures is None:
        return found
    satisfied, valid, day = figures
    for figure, n in ((SATISFIED, satisfied), (VALID, valid)):
        found[(organization_id, satisfaction_key(campaign_id, figure))] += n
        found[(organization_id, quarter_key(SATISFACTION, campaign_id, day, figure))] += n
    return found


def satisfaction_adjust(
    subject: Any, survey: Any, was: Figures | None, now: Figures | None
) -> None:
    """A subject's answers changed from ``was`` to ``now`` (a paper tally entered
    or corrected, its date perhaps moved): its unit's figures follow (surveys of
    organisations only: the 满意率 of a unit is the public's judgement of the unit)."""
    if subject.member_id is not None:
        return
    pk, campaign = subject.organization_id, survey.campaign_id
    deltas = _satisfaction_deltas(pk, campaign, now)
    deltas.subtract(_satisfaction_deltas(pk, campaign, was))
    tallies.adjust(dict(deltas))


def satisfaction_pending(
    subject: Any, survey: Any, satisfied: int, valid: int, day: dt.date
) -> None:
    """A web answer's figures, waiting for ``fold_satisfaction`` (one INSERT, no
    lock: answers come by the hundred a second)."""
    from reviews.models_surveys import SurveyFigureDelta

    if subject.member_id is not None or not valid:
        return
    SurveyFigureDelta.objects.create(
        organization_id=subject.organization_id,
        campaign_id=survey.campaign_id,
        satisfied=satisfied,
        valid=valid,
        day=day,
    )


FOLD_BATCH = 50_000


def fold_satisfaction() -> int:
    """Fold the waiting web answers into the stored counts: their sums per unit
    in one ``tallies.adjust``, the rows deleted in the same transaction (rows a
    second run holds are skipped). Returns how many rows were folded."""
    from reviews.models_surveys import SurveyFigureDelta

    with transaction.atomic():
        rows = list(
            SurveyFigureDelta.objects.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", "organization_id", "campaign_id", "satisfied", "valid", "day")[
                :FOLD_BATCH
            ]
        )
        if not rows:
            return 0
        deltas: Multiset[tuple[int, str]] = Multiset()
        for _pk, organization_id, campaign_id, satisfied, valid, day in rows:
            deltas.update(
                _satisfaction_deltas(organization_id, campaign_id, (satisfied, valid, day))
            )
        tallies.adjust(dict(deltas))
        SurveyFigureDelta.objects.filter(pk__in=[r[0] for r in rows]).delete()
    return len(rows)


@tallies.register(SATISFACTION)
def satisfaction_per_organization() -> Iterator[tuple[int, str, int]]:
    """What the stored counts should hold: every answer and paper form of the
    surveys of units, less the web answers still waiting to be folded in."""
    from reviews.models_surveys import Survey, SurveyFigureDelta, SurveyResponse, SurveyTally

    surveys = {s.pk: s for s in Survey.objects.all()}
    sums: Multiset[tuple[int, str]] = Multiset()
    responses = SurveyResponse.objects.filter(subject__member__isnull=True).values_list(
        "survey_id", "subject__organization_id", "answers", "day"
    )
    for survey_id, organization_id, answers, day in responses.iterator(chunk_size=5000):
        survey = surveys[survey_id]
        figures = (*answer_figures(survey, answers), day)
        sums.update(_satisfaction_deltas(organization_id, survey.campaign_id, figures))
    paper = SurveyTally.objects.filter(subject__member__isnull=True).values_list(
        "subject__survey_id", "subject__organization_id", "counts", "held_on"
    )
    for survey_id, organization_id, counts, day in paper.iterator(chunk_size=5000):
        survey = surveys[survey_id]
        figures = (*tally_figures(survey, counts), day)
        sums.update(_satisfaction_deltas(organization_id, survey.campaign_id, figures))
    waiting = SurveyFigureDelta.objects.values_list(
        "organization_id", "campaign_id", "satisfied", "valid", "day"
    )
    for organization_id, campaign_id, s, v, day in waiting.iterator(chunk_size=5000):
        sums.subtract(_satisfaction_deltas(organization_id, campaign_id, (s, v, day)))
    for (organization_id, key), n in sums.items():
        yield organization_id, key, n
