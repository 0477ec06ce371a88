"""What reviews plugs into the lower apps: the data-file section of ``load_campaign``,
the results job, and the home page's 待办 (the grids waiting for the user's units)."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from core import todo
from reviews import jobs, loading  # noqa: F401 (registers the job kind and the review_kinds section)
from reviews.sheets import own_grids


@todo.register("reviews.grid")
def grids_waiting(user: Any) -> list[todo.Todo]:
    """Each open round's grid of a unit the user answers for, until all are submitted."""
    lines = []
    for grid in own_grids(user):
        left = grid.subjects - grid.submitted
        if left <= 0:
            continue
        text = _("%(unit)s：%(round)s待评分（已提交 %(done)s/%(total)s）") % {
            "unit": grid.unit.name,
            "round": grid.round,
            "done": grid.submitted,
            "total": grid.subjects,
        }
        url = reverse("reviews:grid", kwargs={"pk": grid.round.pk, "organization_pk": grid.unit.pk})
        lines.append(todo.Todo(text, left, url))
    return lines
