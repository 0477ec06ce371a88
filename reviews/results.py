"""Round results: the composite score, grade and ranks of every subject, computed
from the submitted sheets and the paper tallies and stored on each ``Review``.

Per subject and evaluator kind: the mean over its evaluators of each evaluator's
weighted criterion score scaled to 100 (a paper tally counts as ``ballots``
evaluators at its per-criterion means; a grade vote or a 点评 rating counts as
its grade's ``vote_score``). The composite is the weighted mean over the kinds
present, with the weights renormalised over those kinds (``breakdown`` records
the weight used, so a missing kind is shown, never hidden). An anonymous kind
(党员互评, 下级评上级, 群众评议) below the kind's minimum number of evaluators is
left out of the composite and its mean is not stored, so nothing below the
minimum can be read back. Grade from the kind's bands; rank within the parent
(members: within their branch) and within the sector, ties sharing a rank
(1, 2, 2, 4). Recomputing gives the same rows (idempotent).
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from core import bulk
from reviews.choices import ANONYMOUS, EvaluatorKind
from reviews.models import PaperTally, Review, ReviewKind, ReviewRound, ScoreSheet
from reviews.tallying import grades_follow, round_grades

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
BATCH = 2000
SCORE = DecimalField(max_digits=12, decimal_places=4)  # a criterion's summed scores


class _Score(KeyTextTransform):
    """A sheet's score for one criterion as text: its key is the criterion's id,
    which ``KeyTextTransform`` would take for an array index (a key of digits)."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        lhs, params, _keys = self.preprocess_lhs(compiler, connection)
        return f"({lhs} ->> %s::text)", (*params, self.key_name)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        lhs, params, _keys = self.preprocess_lhs(compiler, connection)
        return f"JSON_EXTRACT({lhs}, %s)", (*params, "$." + json.dumps(self.key_name))


@dataclass(frozen=True)
class Item:
    """A criterion as the computation needs it."""

    key: str  # str(criterion id): the key of ScoreSheet.scores / PaperTally.totals
    weight: Decimal
    max_score: Decimal


def percent(means: Mapping[str, Any], items: Iterable[Item]) -> Decimal:
    """Σ (score / max × weight) / Σ weight × 100, over every criterion (a missing
    score counts 0)."""
    items = list(items)
    total_weight = sum((i.weight for i in items), Decimal(0))
    got = sum(
        (Decimal(str(means.get(i.key, 0))) / i.max_score * i.weight for i in items), Decimal(0)
    )
    return got / total_weight * HUNDRED


def grade_for(composite: Decimal | None, bands: list[tuple[str, Decimal]]) -> str:
    """The first band (highest first) whose threshold the composite reaches."""
    if composite is None:
        return ""
    for label, minimum in bands:
        if composite >= minimum:
            return label
    return bands[-1][0] if bands else ""


def competition_ranks(scores: Mapping[int, Decimal]) -> dict[int, int]:
    """1, 2, 2, 4: each subject's rank is one more than the number scoring higher."""
    ordered = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    ranks: dict[int, int] = {}
    previous: Decimal | None = None
    rank = 0
    for position, (pk, score) in enumerate(ordered, start=1):
        if score != previous:
            rank, previous = position, score
        ranks[pk] = rank
    return ranks


class _Sums:
    """Running sum and count of evaluator scores per (review, evaluator kind)."""

    def __init__(self) -> None:
        self.total: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        self.count: dict[tuple[int, str], int] = defaultdict(int)

    def add(self, review: int, evaluator: str, score: Decimal, n: int = 1) -> None:
        self.total[(review, evaluator)] += score * n
        self.count[(review, evaluator)] += n

    def add_total(self, review: int, evaluator: str, total: Decimal, n: int) -> None:
        """``n`` evaluators whose scores sum to ``total``."""
        self.total[(review, evaluator)] += total
        self.count[(review, evaluator)] += n


def round_results(round_: ReviewRound) -> int:
    """Compute and store every subject's result in the round; returns the number
    of subjects. Queries: a handful, whatever the round's size (rows streamed)."""
    kind: ReviewKind = round_.kind
    items = [
        Item(str(c.pk), Decimal(c.weight), Decimal(c.max_score)) for c in kind.rubric.criteria.all()
    ]
    bands = [(b.label, b.min_score) for b in kind.grades.order_by("position", "pk")]
    votes = {b.label: b.vote_score for b in kind.grades.all() if b.vote_score is not None}
    weights = {e.evaluator: Decimal(e.weight) for e in kind.evaluators.all()}
    sums = _Sums()

    def vote(grade: str) -> Decimal | None:
        return votes.get(grade)

    # A sheet's score is linear in its criterion scores, so the sum of a kind's
    # sheets' scores is the score of their summed criteria: the database sums
    # them per subject and kind (a row per group, not per sheet; no JSON parsed here).
    submitted = ScoreSheet.objects.filter(review__round=round_, state=ScoreSheet.State.SUBMITTED)
    scored = (
        submitted.exclude(scores={})
        .exclude(scores__isnull=True)
        .values("review_id", "evaluator")
        .annotate(
            sheets=Count("pk"),
            **{f"c{i.key}": Sum(Cast(_Score(i.key, "scores"), SCORE)) for i in items},
        )
        .order_by()
    )
    for summed in scored.iterator(chunk_size=BATCH):
        row = cast(dict[str, Any], summed)
        totals = {i.key: row[f"c{i.key}"] or 0 for i in items}
        sums.add_total(row["review_id"], row["evaluator"], percent(totals, items), row["sheets"])
    graded = (
        submitted.filter(Q(scores={}) | Q(scores__isnull=True))
        .exclude(grade="")
        .values_list("review_id", "evaluator", "grade")
        .annotate(sheets=Count("pk"))
        .order_by()
    )
    for review_id, evaluator, grade, n in graded.iterator(chunk_size=BATCH):
        if vote(grade) is not None:
            sums.add(review_id, evaluator, vote(grade), n)  # type: ignore[arg-type]
    tallies = PaperTally.objects.filter(review__round=round_).values_list(
        "review_id", "evaluator", "ballots", "totals", "grade_counts"
    )
    for review_id, evaluator, ballots, totals, grade_counts in tallies.iterator(chunk_size=BATCH):
        if totals:
            means = {k: Decimal(str(v)) / ballots for k, v in totals.items()}
            sums.add(review_id, evaluator, percent(means, items), ballots)
        for grade, n in (grade_counts or {}).items():
            if vote(grade) is not None and n:
                sums.add(review_id, evaluator, vote(grade), int(n))  # type: ignore[arg-type]
    if EvaluatorKind.PUBLIC in weights:
        _add_surveys(round_, sums)

    now = timezone.now()
    reviews = list(
        Review.objects.filter(round=round_).values_list(
            "pk",
            "organization_id",
            "organization__parent_id",
            "organization__sector_id",
            "member_id",
        )
    )
    results: dict[int, tuple[Decimal | None, dict]] = {}
    for pk, *_ in reviews:
        breakdown: dict[str, dict] = {}
        present: dict[str, Decimal] = {}
        for evaluator, weight in weights.items():
            n = sums.count.get((pk, evaluator), 0)
            shown = n > 0 and (evaluator not in ANONYMOUS or n >= kind.min_evaluators)
            entry: dict[str, Any] = {"n": n, "weight": int(weight), "shown": shown}
            if shown:
                mean = sums.total[(pk, evaluator)] / n
                entry["mean"] = str(mean.quantize(CENT, ROUND_HALF_UP))
                if weight > 0:
                    present[evaluator] = mean
            breakdown[evaluator] = entry
        used = sum((weights[e] for e in present), Decimal(0))
        composite = None
        if used > 0:
            composite = (sum(weights[e] * m for e, m in present.items()) / used).quantize(
                CENT, ROUND_HALF_UP
            )
            for evaluator in present:
                breakdown[evaluator]["used_weight"] = str(
                    (weights[evaluator] / used * HUNDRED).quantize(CENT, ROUND_HALF_UP)
                )
        results[pk] = (composite, breakdown)

    by_parent: dict[Any, dict[int, Decimal]] = defaultdict(dict)
    by_sector: dict[Any, dict[int, Decimal]] = defaultdict(dict)
    for pk, org_id, parent_id, sector_id, member_id in reviews:
        composite = results[pk][0]
        if composite is None:
            continue
        by_parent[org_id if member_id else parent_id][pk] = composite
        by_sector[sector_id][pk] = composite
    in_parent: dict[int, int] = {}
    in_sector: dict[int, int] = {}
    for group in by_parent.values():
        in_parent.update(competition_ranks(group))
    for group in by_sector.values():
        in_sector.update(competition_ranks(group))

    rows = [
        (
            pk,
            results[pk][0],
            grade_for(results[pk][0], bands),
            in_parent.get(pk),
            in_sector.get(pk),
            results[pk][1],
        )
        for pk, *_ in reviews
    ]
    # The grades and their stored counts (``reviews.tallying``) in one transaction.
    with transaction.atomic():
        before = round_grades(round_)
        _store(rows, now)
        grades_follow(round_, before)
    return len(reviews)


STORED = ["composite", "grade", "rank_in_parent", "rank_in_sector", "breakdown"]


def _add_surveys(round_: ReviewRound, sums: "_Sums") -> None:
    """群众评议 by code (``reviews.survey_results``) as the round's 群众评议 kind: a
    survey held for the round counts, for each organisation reviewed that is one
    of its subjects, as many evaluators as valid answers, at the mean score
    (百分制) of their answers (each answer its choice's configured score)."""
    from reviews.models_surveys import SurveySubject
    from reviews.survey_results import kind_score, subject_figures

    units = dict(
        Review.objects.filter(round=round_, member__isnull=True).values_list(
            "organization_id", "pk"
        )
    )
    members = dict(
        Review.objects.filter(round=round_, member__isnull=False).values_list("member_id", "pk")
    )
    for survey in round_.surveys.all():
        # A survey of members scores the members' reviews, one of units the units'.
        if survey.subject_kind == survey.SubjectKind.ORGANIZATIONS:
            reviews, key = units, "organization_id"
            subjects = SurveySubject.objects.filter(survey=survey, member__isnull=True)
        else:
            reviews, key = members, "member_id"
            subjects = SurveySubject.objects.filter(survey=survey, member__isnull=False)
        found = dict(subjects.filter(**{f"{key}__in": reviews}).values_list("pk", key))
        for pk, figures in subject_figures(survey, found).items():
            score = kind_score(survey, figures)
            valid = sum(sum(counts) for counts in figures.counts) // max(1, len(figures.counts))
            if score is not None and valid:
                sums.add(reviews[found[pk]], EvaluatorKind.PUBLIC, score, valid)


def _store(rows: list[tuple], now: Any) -> None:
    """Write each (pk, composite, grade, rank in parent, rank in sector, breakdown)
    (``core.bulk.update_rows``: one UPDATE … FROM unnest per batch on PostgreSQL)."""
    bulk.update_rows(Review, [*STORED, "computed_at"], [(*row, now) for row in rows])
    bulk.statistics_refresh(Review, rows=len(rows))


@dataclass(frozen=True)
class KindDetail:
    evaluator: str
    label: str
    weight: int
    n: int
    shown: bool
    mean: str | None
    used_weight: str | None
    criteria: list[tuple[str, Decimal | None]]  # (criterion title, mean score) when shown


def review_detail(review: Review) -> dict[str, Any]:
    """One subject's breakdown for its result page: per evaluator kind the stored
    mean and, for the kinds shown, each criterion's mean score (sheets and paper
    tallies); the opinions of the kinds shown, sorted by text (no order of
    submission, no evaluator for the anonymous kinds); the 自评陈述."""
    from reviews.choices import EvaluatorKind
    from reviews.models import Statement

    kind = review.round.kind
    criteria = list(kind.rubric.criteria.all())
    stored = review.breakdown or {}
    sums: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    opinions: dict[str, list[str]] = defaultdict(list)
    for evaluator, scores, opinion in ScoreSheet.objects.filter(
        review=review, state=ScoreSheet.State.SUBMITTED
    ).values_list("evaluator", "scores", "opinion"):
        if scores:
            counts[evaluator] += 1
            for c in criteria:
                sums[(evaluator, c.pk)] += Decimal(str(scores.get(str(c.pk), 0)))
        if opinion:
            opinions[evaluator].append(opinion)
    for evaluator, ballots, totals in PaperTally.objects.filter(review=review).values_list(
        "evaluator", "ballots", "totals"
    ):
        if totals:
            counts[evaluator] += ballots
            for c in criteria:
                sums[(evaluator, c.pk)] += Decimal(str(totals.get(str(c.pk), 0)))
    kinds = []
    for row in kind.evaluators.all():
        entry = stored.get(row.evaluator, {})
        shown = bool(entry.get("shown"))
        n = counts[row.evaluator]
        per_criterion = [
            (
                c.title,
                (sums[(row.evaluator, c.pk)] / n).quantize(CENT, ROUND_HALF_UP)
                if shown and n
                else None,
            )
            for c in criteria
        ]
        kinds.append(
            KindDetail(
                evaluator=row.evaluator,
                label=str(EvaluatorKind(row.evaluator).label),
                weight=row.weight,
                n=int(entry.get("n", 0)),
                shown=shown,
                mean=entry.get("mean"),
                used_weight=entry.get("used_weight"),
                criteria=per_criterion,
            )
        )
    shown_kinds = {k.evaluator for k in kinds if k.shown}
    return {
        "kinds": kinds,
        "criteria": criteria,
        "opinions": [
            (str(EvaluatorKind(e).label), sorted(texts))
            for e, texts in opinions.items()
            if e in shown_kinds
        ],
        "statement": Statement.objects.filter(review=review).first(),
    }


def unit_opinions(round_: ReviewRound, reviews: Any) -> list[tuple[Any, list[tuple[str, str]]]]:
    """The opinions (意见建议) of a closed round per unit, for the rectification work
    that follows: each unit (a member's branch, or the unit reviewed) with its
    opinions as (evaluator kind, text), sorted by text. Only the kinds shown in a
    subject's result count (an anonymous kind below the minimum stays hidden);
    no evaluator is named. ``reviews`` is what the reader may read (results_for)."""
    from reviews.choices import EvaluatorKind

    shown = {
        pk: {e for e, entry in (breakdown or {}).items() if entry.get("shown")}
        for pk, breakdown in reviews.values_list("pk", "breakdown")
    }
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = (
        ScoreSheet.objects.filter(review__in=reviews.values("pk"), state=ScoreSheet.State.SUBMITTED)
        .exclude(opinion="")
        .values_list("review_id", "review__organization_id", "evaluator", "opinion")
    )
    for review_id, org_id, evaluator, opinion in rows.iterator(chunk_size=BATCH):
        if evaluator in shown.get(review_id, ()):
            found[org_id].append((str(EvaluatorKind(evaluator).label), opinion))
    from orgs.models import Organization

    units = Organization.objects.filter(pk__in=list(found)).order_by("tree_id", "lft")
    return [(unit, sorted(found[unit.pk], key=lambda o: (o[0], o[1]))) for unit in units]
