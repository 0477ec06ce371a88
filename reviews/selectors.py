"""Reads for review rounds that apply the scoping rule."""

from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import Http404

from orgs import selectors
from orgs.models import Organization
from reviews.choices import Publication
from reviews.models import Review, ReviewKind, ReviewRound


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
        return rounds_for(user).get(pk=pk)
    except (ReviewRound.DoesNotExist, ValueError):
        raise Http404 from None


def kinds_for(user: Any) -> QuerySet[ReviewKind]:
    """The review kinds of the campaigns on the trees where the user runs reviews."""
    trees = selectors.organizations_for(user, selectors.REVIEW).values("tree_id")
    return ReviewKind.objects.filter(campaign__organization__tree_id__in=trees).select_related(
        "campaign", "rubric"
    )


def results_for(user: Any, round_: ReviewRound) -> QuerySet[Review] | None:
    """The round's results the user may read, or None while they may read none.

    The office or a committee running the round (``REVIEW`` on its root) reads
    all of them once it is closed. Once it is 已公布, the kind's publication
    scope decides for the rest: 全区 and 公开, everyone the round reaches; 上级,
    those above each subject (a member's branch and up, a unit's parent and up);
    本单位, the subject's own unit and up."""
    reviews = Review.objects.filter(round=round_).select_related(
        "member", "organization", "organization__parent", "organization__sector"
    )
    closed = (ReviewRound.State.CLOSED, ReviewRound.State.PUBLISHED)
    if round_.state in closed and selectors.can(user, selectors.REVIEW, round_.organization):
        return reviews
    if round_.state != ReviewRound.State.PUBLISHED:
        return None
    publication = round_.kind.publication
    if publication in (Publication.DISTRICT, Publication.PUBLIC):
        return reviews
    members = round_.kind.subject == ReviewKind.Subject.MEMBER
    if publication == Publication.PARENT:
        q = (
            selectors.scope_q(user, selectors.EDIT_MEMBERS, prefix="organization__")
            if members
            else selectors.scope_q(user, selectors.REVIEW, prefix="organization__parent__")
        )
    else:
        q = selectors.scope_q(user, selectors.READ_RECORDS, prefix="organization__")
    return reviews if q is None else reviews.filter(q)


def own_results(user: Any) -> QuerySet[Review]:
    """A member's own results in published rounds (whatever the publication scope:
    one's own result is always one's own to read)."""
    own = selectors.own_member(user)
    if own is None:
        return Review.objects.none()
    return (
        Review.objects.filter(member=own, round__state=ReviewRound.State.PUBLISHED)
        .select_related("round__kind")
        .order_by("-round__closes_on")
    )


def review_get(user: Any, pk: Any) -> Review:
    """A subject's review in a round the user works with, or the member's own; else 404."""
    try:
        review = Review.objects.select_related(
            "round__kind__rubric",
            "round__campaign",
            "round__organization",
            "member",
            "organization",
        ).get(pk=pk)
    except (Review.DoesNotExist, ValueError):
        raise Http404 from None
    own = selectors.own_member(user)
    if own is not None and review.member_id == own.pk:
        return review
    if not rounds_for(user).filter(pk=review.round_id).exists():
        raise Http404
    if not selectors.can(user, selectors.READ_RECORDS, review.organization):
        raise Http404
    return review


def peer_rounds(user: Any) -> QuerySet[ReviewRound]:
    """Open rounds with 党员互评 in which the user's own member record is a subject."""
    from reviews.choices import EvaluatorKind

    own = selectors.own_member(user)
    if own is None:
        return ReviewRound.objects.none()
    return ReviewRound.objects.filter(
        state=ReviewRound.State.OPEN,
        kind__evaluators__evaluator=EvaluatorKind.PEER,
        reviews__member=own,
    ).select_related("kind")


def peer_round_get(user: Any, pk: Any) -> ReviewRound:
    try:
        return peer_rounds(user).get(pk=pk)
    except (ReviewRound.DoesNotExist, ValueError):
        raise Http404 from None


def own_statements(user: Any) -> QuerySet[Review]:
    """The member's own reviews in open rounds whose kind has a 自评陈述."""
    from reviews.choices import EvaluatorKind

    own = selectors.own_member(user)
    if own is None:
        return Review.objects.none()
    return Review.objects.filter(
        member=own,
        round__state=ReviewRound.State.OPEN,
        round__kind__evaluators__evaluator=EvaluatorKind.SELF,
    ).select_related("round__kind")


def results_filtered(
    found: QuerySet[Review], round_: ReviewRound, filters: dict[str, Any]
) -> QuerySet[Review]:
    """The results page's filters (``grade``, ``sector`` id, ``child``: a direct
    child of the round's root, whose subtree is kept) and its order, best first;
    the results export applies the same, so a file holds the page's rows."""
    grade = str(filters.get("grade") or "")
    if grade:
        found = found.filter(grade=grade)
    sector = str(filters.get("sector") or "")
    if sector.isdigit():
        found = found.filter(organization__sector_id=int(sector))
    chosen = result_child(round_, filters.get("child"))
    if chosen is not None:
        found = selectors.in_subtree(found, chosen, "organization__")
    # Best first, ties in the order the round created its reviews (the roll's
    # order): the index review_rank serves it without sorting the district.
    return found.order_by(F("composite").desc(nulls_last=True), "pk")


def result_children(round_: ReviewRound) -> list[Organization]:
    """The child units offered by the results page's 下级组织 filter."""
    return list(selectors.children(round_.organization).filter(is_active=True))


def result_child(round_: ReviewRound, child: Any) -> Organization | None:
    return next((c for c in result_children(round_) if str(c.pk) == str(child or "")), None)


def upward_rounds(user: Any) -> list[tuple[ReviewRound, Any]]:
    """Open organisation rounds with 下级评上级 in which a unit the user answers
    for evaluates its parent: (round, the user's unit) for each parent that is a
    subject of the round."""
    from reviews.choices import EvaluatorKind

    units = [u for u in selectors.own_units(user) if u.parent_id is not None]
    if not units:
        return []
    rounds = ReviewRound.objects.filter(
        state=ReviewRound.State.OPEN,
        kind__subject=ReviewKind.Subject.ORGANIZATION,
        kind__evaluators__evaluator=EvaluatorKind.UPWARD,
    ).select_related("kind")
    subjects = set(
        Review.objects.filter(
            round__in=rounds, member__isnull=True, organization_id__in={u.parent_id for u in units}
        ).values_list("round_id", "organization_id")
    )
    return [
        (round_, unit)
        for round_ in rounds
        for unit in units
        if (round_.pk, unit.parent_id) in subjects
    ]


def comment_rounds(user: Any) -> list[tuple[ReviewRound, list[int]]]:
    """Open organisation rounds with 领导点评 in which units of the user's contact
    points (in the round's campaign) are subjects: (round, those units' ids).
    The contact point is the assignment (``campaign.selectors.contact_points_for``);
    the parent's reviewers 点评 through the grid instead."""
    from campaign.selectors import contact_points_for
    from reviews.choices import EvaluatorKind

    points = set(contact_points_for(user).values_list("campaign_id", "organization_id"))
    if not points:
        return []
    rounds = list(
        ReviewRound.objects.filter(
            state=ReviewRound.State.OPEN,
            campaign_id__in={campaign for campaign, _unit in points},
            kind__subject=ReviewKind.Subject.ORGANIZATION,
            kind__evaluators__evaluator=EvaluatorKind.LEADER,
        )
        .select_related("kind", "campaign")
        .order_by("closes_on", "pk")
    )
    subjects = Review.objects.filter(
        round__in=rounds,
        member__isnull=True,
        organization_id__in={unit for _campaign, unit in points},
    ).values_list("round_id", "organization_id")
    # Nobody comments on a unit they answer for (``sheets.evaluator_key``).
    own = {
        unit.pk
        for unit in Organization.objects.filter(pk__in={u for _c, u in points})
        if selectors.can(user, selectors.EDIT_MEMBERS, unit)
    }
    units: dict[int, list[int]] = {}
    by_pk = {r.pk: r for r in rounds}
    for round_id, unit in subjects:
        if (by_pk[round_id].campaign_id, unit) in points and unit not in own:
            units.setdefault(round_id, []).append(unit)
    return [(r, units[r.pk]) for r in rounds if r.pk in units]
