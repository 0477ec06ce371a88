"""Reads for review rounds that apply the scoping rule."""

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from orgs import selectors
from reviews.models import ReviewKind, ReviewRound


def _touching_q(user: Any, roles: Any) -> Q | None:
    """Rounds whose subtree meets the user's: held on one of the user's
    organisations or above it (a district round covers the branch), or inside
    the user's subtree. None: everything (the admin)."""
    ranges = selectors.grant_ranges(user, roles)
    if ranges is None:
        return None
    q = Q(pk__in=[])
    for tree, lft, rght in ranges:
        above = Q(organization__lft__lte=lft, organization__rght__gte=rght)
        inside = Q(organization__lft__gte=lft, organization__lft__lt=rght)
        q |= Q(organization__tree_id=tree) & (above | inside)
    return q


def rounds_for(user: Any, roles: Any = selectors.READ_RECORDS) -> QuerySet[ReviewRound]:
    """The rounds a user works with (not a 党员's: they see their own result, later)."""
    q = _touching_q(user, roles)
    rounds = ReviewRound.objects.select_related("kind", "campaign", "organization")
    return rounds if q is None else rounds.filter(q)


def round_get(user: Any, pk: Any) -> ReviewRound:
    try:
        return rounds_for(user).annotate(subjects=Count("reviews")).get(pk=pk)
    except (ReviewRound.DoesNotExist, ValueError):
        raise Http404 from None


def kinds_for(user: Any) -> QuerySet[ReviewKind]:
    """The review kinds of the campaigns on the trees where the user runs reviews."""
    trees = selectors.organizations_for(user, selectors.REVIEW).values("tree_id")
    return ReviewKind.objects.filter(campaign__organization__tree_id__in=trees).select_related(
        "campaign", "rubric"
    )
