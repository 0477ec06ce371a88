"""The figures of 群众评议: turnout and 满意率, per subject and per subtree.

- issued = codes of the subject's batches not voided + paper forms handed out
  (a tally's 发放份数);
- responses = web responses + paper forms returned; turnout = responses / issued;
- per question, valid = the answers to it (a web response answers every
  question; a paper form may leave one blank or spoil it: 无效),
  满意率 = answers counted as satisfied (满意 + 基本满意 by default) / valid;
- overall 满意率 = satisfied answers over all questions / valid answers over all
  questions; the target is met when it is at least the survey's target.
Rates are percentages rounded half up to two places; None when nothing is valid.

Three queries whatever the size of the survey: the answers (values only), the
tallies, the batch sizes per subject.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from campaign.models import Campaign
from orgs.models import Organization
from reviews.models_surveys import (
    Survey,
    SurveyCodeBatch,
    SurveyResponse,
    SurveySubject,
    SurveyTally,
)

HUNDRED = Decimal(100)


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Figures:
    """Counts of one subject, or summed over several: ``counts[q][c]`` answers
    of choice ``c`` to question ``q``, ``invalid[q]`` blank or spoilt."""

    questions: int
    choices: int
    issued: int = 0
    responses: int = 0
    counts: list[list[int]] = field(default_factory=list)
    invalid: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [[0] * self.choices for _ in range(self.questions)]
            self.invalid = [0] * self.questions

    def add(self, other: "Figures") -> None:
        self.issued += other.issued
        self.responses += other.responses
        for q in range(self.questions):
            self.invalid[q] += other.invalid[q]
            for c in range(self.choices):
                self.counts[q][c] += other.counts[q][c]


@dataclass
class Summary:
    """What a results page shows of one subject or subtree."""

    issued: int
    responses: int
    turnout: Decimal | None
    questions: list[dict[str, Any]]
    valid: int
    satisfied: int
    rate: Decimal | None
    met: bool | None


def summarise(survey: Survey, figures: Figures) -> Summary:
    satisfied_choices = [i for i, c in enumerate(survey.choices) if c.get("satisfied")]
    rows, valid_all, satisfied_all = [], 0, 0
    for q, text in enumerate(survey.questions):
        counts = figures.counts[q]
        valid = sum(counts)
        satisfied = sum(counts[i] for i in satisfied_choices)
        valid_all += valid
        satisfied_all += satisfied
        rows.append(
            {
                "text": text,
                "counts": counts,
                "invalid": figures.invalid[q],
                "valid": valid,
                "satisfied": satisfied,
                "rate": percent(satisfied, valid),
            }
        )
    rate = percent(satisfied_all, valid_all)
    return Summary(
        issued=figures.issued,
        responses=figures.responses,
        turnout=percent(figures.responses, figures.issued),
        questions=rows,
        valid=valid_all,
        satisfied=satisfied_all,
        rate=rate,
        met=None if rate is None else rate >= survey.target,
    )


def subject_figures(survey: Survey, subject_ids: Iterable[int] | None = None) -> dict[int, Figures]:
    """The counts of each subject of the survey (or of those named)."""
    nq, nc = len(survey.questions), len(survey.choices)
    subjects = SurveySubject.objects.filter(survey=survey)
    if subject_ids is not None:
        subjects = subjects.filter(pk__in=list(subject_ids))
    ids = list(subjects.values_list("pk", flat=True))
    found = {pk: Figures(nq, nc) for pk in ids}
    batches = (
        SurveyCodeBatch.objects.filter(subject_id__in=ids, state=SurveyCodeBatch.State.ISSUED)
        .values("subject_id")
        .annotate(n=Sum("size"))
        .values_list("subject_id", "n")
    )
    for pk, n in batches:
        found[pk].issued += n or 0
    answers = SurveyResponse.objects.filter(survey=survey, subject_id__in=ids).values_list(
        "subject_id", "answers"
    )
    for pk, given in answers.iterator(chunk_size=5000):
        figures = found[pk]
        figures.responses += 1
        for q, choice in enumerate(given[:nq]):
            if isinstance(choice, int) and 0 <= choice < nc:
                figures.counts[q][choice] += 1
            else:
                figures.invalid[q] += 1
    for tally in SurveyTally.objects.filter(subject_id__in=ids):
        figures = found[tally.subject_id]
        figures.issued += tally.attendees
        figures.responses += tally.forms
        for q, row in enumerate(tally.counts[:nq]):
            for c in range(nc):
                figures.counts[q][c] += row[c]
            figures.invalid[q] += row[nc]
    return found


def subjects_ordered(survey: Survey) -> QuerySet[SurveySubject]:
    """The survey's subjects in tree order (a unit's members by number)."""
    return (
        SurveySubject.objects.filter(survey=survey)
        .select_related("organization__parent", "member")
        .order_by("organization__tree_id", "organization__lft", "member__number")
    )


def subject_rows(
    survey: Survey, subjects: Iterable[SurveySubject] | None = None
) -> list[dict[str, Any]]:
    """Every subject (or those given: a page of them) with its summary, in tree order."""
    subjects = list(subjects_ordered(survey) if subjects is None else subjects)
    figures = subject_figures(survey, [s.pk for s in subjects])
    return [{"subject": s, "summary": summarise(survey, figures[s.pk])} for s in subjects]


def subtree_summary(survey: Survey, node: Organization) -> Summary:
    """The survey's figures summed over the subjects in ``node``'s subtree."""
    ids = SurveySubject.objects.filter(
        survey=survey,
        organization__tree_id=node.tree_id,
        organization__lft__gte=node.lft,
        organization__rght__lte=node.rght,
    ).values_list("pk", flat=True)
    total = Figures(len(survey.questions), len(survey.choices))
    for figures in subject_figures(survey, list(ids)).values():
        total.add(figures)
    return summarise(survey, total)


def satisfaction_rate(campaign: Campaign, organization_ids: Iterable[int]) -> dict[int, Decimal]:
    """群众满意率 (%) of each organisation named, over the campaign's surveys of it
    (summed over its surveys: satisfied answers / valid answers); organisations
    never surveyed, or with nothing valid, are left out. What award eligibility
    and the spot-check checklist read."""
    return _rates(campaign, "organization_id", set(organization_ids))


def member_satisfaction_rate(campaign: Campaign, member_ids: Iterable[int]) -> dict[int, Decimal]:
    """群众满意率 (%) of each member named, over the campaign's surveys of members
    (as ``satisfaction_rate``); members never surveyed are left out."""
    return _rates(campaign, "member_id", set(member_ids))


def _rates(campaign: Campaign, key: str, wanted: set[int]) -> dict[int, Decimal]:
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    of_members = key == "member_id"
    surveys = Survey.objects.filter(
        campaign=campaign,
        **{f"subjects__{key}__in": wanted, "subjects__member__isnull": not of_members},
    )
    for survey in surveys.distinct():
        satisfied_choices = [i for i, c in enumerate(survey.choices) if c.get("satisfied")]
        subjects = dict(
            SurveySubject.objects.filter(
                survey=survey, member__isnull=not of_members, **{f"{key}__in": wanted}
            ).values_list("pk", key)
        )
        for pk, figures in subject_figures(survey, subjects).items():
            row = sums[subjects[pk]]
            for counts in figures.counts:
                row[0] += sum(counts[i] for i in satisfied_choices)
                row[1] += sum(counts)
    rates = {}
    for pk, (satisfied, valid) in sums.items():
        rate = percent(satisfied, valid)
        if rate is not None:
            rates[pk] = rate
    return rates


def kind_score(survey: Survey, figures: Figures) -> Decimal | None:
    """The survey as the 群众评议 evaluator of a review round: the mean score (百分制)
    of the valid answers, each answer counting its choice's configured score."""
    scores = [Decimal(str(c.get("score", 0))) for c in survey.choices]
    total, valid = Decimal(0), 0
    for counts in figures.counts:
        for c, n in enumerate(counts):
            total += scores[c] * n
            valid += n
    if not valid:
        return None
    return (total / valid).quantize(Decimal("0.01"), ROUND_HALF_UP)
