"""评议结果公开: the results of a round whose kind publishes to 公开, readable
without a login once the round is 已公布.

What a visitor sees is the stored result and nothing else: for organisations,
each unit's grade and composite; for members, each unit's count per grade,
never a member's name or number. No opinion, breakdown by evaluator, contact
detail or anonymous turnout is on these pages (tests/reviews/test_public.py).
"""

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviews.choices import Publication
from reviews.models import Review, ReviewKind, ReviewRound

PAGE_SIZE = 50


def public_rounds() -> QuerySet[ReviewRound]:
    """Published rounds of the kinds that publish to the public, newest first."""
    return (
        ReviewRound.objects.filter(
            state=ReviewRound.State.PUBLISHED, kind__publication=Publication.PUBLIC
        )
        .select_related("kind", "organization", "campaign")
        .order_by("-published_at", "-pk")
    )


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """/pingyi/: the rounds whose results are public."""
    page = Paginator(public_rounds(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/public_list.html", {"page": page, "query": ""})


@require_GET
def public_results(request: HttpRequest, pk: int) -> HttpResponse:
    """/pingyi/<round>/: one public round's results, filtered by grade (units)."""
    round_ = public_rounds().filter(pk=pk).first()
    if round_ is None:
        raise Http404
    grades = list(round_.kind.grades.values_list("label", flat=True))
    reviews = Review.objects.filter(round=round_)
    totals = dict(reviews.exclude(grade="").values_list("grade").annotate(n=Count("pk")).order_by())
    context = {
        "round": round_,
        "kind": round_.kind,
        "grades": grades,
        "totals": [(label, totals.get(label, 0)) for label in grades],
        "members": round_.kind.subject == ReviewKind.Subject.MEMBER,
    }
    shown = _member_counts if context["members"] else _unit_results
    context |= shown(request, reviews, grades)
    return render(request, "reviews/public_results.html", context)


def _member_counts(request: HttpRequest, reviews: QuerySet[Review], grades: list[str]) -> dict:
    """A members' round: per unit, how many members took part and per grade how many."""
    rows: Any = (
        reviews.values("organization_id", "organization__name")
        .annotate(
            total=Count("pk"),
            **{f"g{i}": Count("pk", filter=Q(grade=label)) for i, label in enumerate(grades)},
        )
        .order_by("organization__lft")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    units = [
        (
            row["organization__name"],
            row["total"],
            [(label, row[f"g{i}"]) for i, label in enumerate(grades)],
        )
        for row in page
    ]
    return {"page": page, "units": units, "query": ""}


def _unit_results(request: HttpRequest, reviews: QuerySet[Review], grades: list[str]) -> dict:
    """An organisations' round: each graded unit, best first, of one grade if asked."""
    grade = request.GET.get("grade", "")
    found = reviews.filter(composite__isnull=False).select_related(
        "organization", "organization__parent"
    )
    if grade in grades:
        found = found.filter(grade=grade)
    else:
        grade = ""
    found = found.order_by(F("composite").desc(nulls_last=True), "pk")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "grade": grade, "query": f"grade={grade}" if grade else ""}
