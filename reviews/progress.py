"""评议进度: a round's progress over a subtree, per direct child and per sector.

Per row: the subjects (reviews) in it; of them those the grid's evaluator
(``sheets.grid_evaluator``: the branch for members, the parent or the leader
for organisations) has submitted a sheet for, or entered a paper tally for;
for members' rounds the 讲评会 held by the units that should hold one (those
with a member under review); once the round is closed, the count per grade.

The figures are grouped aggregates over the whole subtree, mapped to the
children in Python (a child's subtree is one run of ``lft`` values, so the
child of an organisation is found by bisecting the children's ``lft``): the
number of queries does not grow with the number of children or subjects.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from orgs import selectors
from orgs.models import Organization
from reviews.models import Meeting, PaperTally, Review, ReviewKind, ReviewRound, ScoreSheet
from reviews.sheets import grid_evaluator

CLOSED = (ReviewRound.State.CLOSED, ReviewRound.State.PUBLISHED)


@dataclass
class ProgressRow:
    """One row of the dashboard: a child's subtree, the total, or a sector."""

    label: str
    organization: Organization | None = None  # the child (its own page), else None
    subjects: int = 0  # reviews in the row, each a sheet due from the grid's evaluator
    submitted: int = 0  # of them, with a submitted sheet or a paper tally of that evaluator
    meetings_due: int | None = None  # units that should hold a 讲评会; None: no 讲评会
    meetings_held: int = 0
    grades: dict[str, int] | None = None  # label → reviews, in the kind's order; None: not closed
    url: str = ""  # this row's own progress page (children)

    @property
    def outstanding(self) -> int:
        return self.subjects - self.submitted

    @property
    def share(self) -> float:
        """Submitted, as a percentage of the sheets due."""
        return 100.0 * self.submitted / self.subjects if self.subjects else 0.0


@dataclass
class _Unit:
    """What one organisation of the subtree adds to its rows."""

    lft: int
    sector: tuple[int, int, str]  # (position, id, name): the sectors' order and label
    subjects: int = 0
    submitted: int = 0
    members: int = 0  # member reviews: the unit should hold a 讲评会
    grades: dict[str, int] = field(default_factory=dict)


def _units(round_: ReviewRound, organization: Organization) -> dict[int, _Unit]:
    """The subtree's organisations with reviews in the round: one grouped query."""
    evaluator = grid_evaluator(round_)
    done = Exists(
        ScoreSheet.objects.filter(
            review=OuterRef("pk"), evaluator=evaluator, state=ScoreSheet.State.SUBMITTED
        )
    ) | Exists(PaperTally.objects.filter(review=OuterRef("pk"), evaluator=evaluator))
    rows = (
        selectors.in_subtree(Review.objects.filter(round=round_), organization, "organization__")
        .order_by()  # Review's Meta ordering would join the GROUP BY
        .values(
            "organization_id",
            "organization__lft",
            "organization__sector_id",
            "organization__sector__position",
            "organization__sector__name",
            "grade",
        )
        .annotate(
            subjects=Count("pk"),
            submitted=Count("pk", filter=Q(done)),
            members=Count("member_id"),
        )
    )
    units: dict[int, _Unit] = {}
    for row in rows:
        unit = units.setdefault(
            row["organization_id"],
            _Unit(
                lft=row["organization__lft"],
                sector=(
                    row["organization__sector__position"],
                    row["organization__sector_id"],
                    row["organization__sector__name"],
                ),
            ),
        )
        unit.subjects += row["subjects"]
        unit.submitted += row["submitted"]
        unit.members += row["members"]
        unit.grades[row["grade"]] = unit.grades.get(row["grade"], 0) + row["subjects"]
    return units


def _grade_labels(round_: ReviewRound, units: dict[int, _Unit]) -> list[str]:
    """The kind's grades in order, any other grade found (a band renamed since
    the results were computed), then 未评定 (stored as "")."""
    labels = list(round_.kind.grades.order_by("position", "pk").values_list("label", flat=True))
    found = {g for unit in units.values() for g in unit.grades if g}
    return labels + sorted(found - set(labels)) + [""]


def round_progress(
    round_: ReviewRound, organization: Organization | None = None
) -> tuple[ProgressRow, list[ProgressRow], list[ProgressRow]]:
    """(total, one row per direct active child, one row per sector) of the
    round over ``organization``'s subtree (the round's root by default), which
    must lie inside the round's. A child's row is its whole subtree; the
    organisation's own subjects count in the total and their sector only."""
    organization = organization or round_.organization
    if not selectors.contains(round_.organization, organization):
        raise ValueError(f"{organization} is not inside the round's subtree")
    children = list(selectors.children(organization).filter(is_active=True))
    units = _units(round_, organization)
    members_round = round_.kind.subject == ReviewKind.Subject.MEMBER
    held: set[int] = set()
    if members_round:
        held = set(
            selectors.in_subtree(
                Meeting.objects.filter(round=round_), organization, "organization__"
            ).values_list("organization_id", flat=True)
        )
    labels = _grade_labels(round_, units) if round_.state in CLOSED else None

    def row(label: str, child: Organization | None = None) -> ProgressRow:
        return ProgressRow(
            label=label,
            organization=child,
            meetings_due=0 if members_round else None,
            grades=dict.fromkeys(labels, 0) if labels is not None else None,
        )

    total = row(_("合计"))
    by_child = [row(child.name, child) for child in children]
    lfts = [child.lft for child in children]
    sectors: dict[tuple[int, int, str], ProgressRow] = {}
    for pk, unit in units.items():
        at = bisect_right(lfts, unit.lft) - 1
        inside = at >= 0 and unit.lft < children[at].rght
        if unit.sector not in sectors:
            sectors[unit.sector] = row(unit.sector[2])
        sector = sectors[unit.sector]
        for into in (total, sector, *([by_child[at]] if inside else [])):
            into.subjects += unit.subjects
            into.submitted += unit.submitted
            # A 讲评会 counts for a unit that should hold one (held ≤ due).
            if into.meetings_due is not None and unit.members:
                into.meetings_due += 1
                into.meetings_held += pk in held
            if into.grades is not None:
                for grade, n in unit.grades.items():
                    into.grades[grade] += n
    return total, by_child, [sectors[key] for key in sorted(sectors)]


def progress_unit(user: Any, round_: ReviewRound) -> Organization | None:
    """Where the user's progress page of the round starts: its root for those
    who review it, else the highest unit inside it the user reviews (a
    committee in a district round); None for those who review none of it."""
    if selectors.can(user, selectors.REVIEW, round_.organization):
        return round_.organization
    return (
        selectors.top_organizations_for(user, selectors.REVIEW)
        .filter(selectors.subtree_q(round_.organization))
        .order_by("lft")
        .first()
    )
