"""评议进度: the page of ``reviews.progress`` for a round over one of its units."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from orgs import selectors
from reviews.choices import EvaluatorKind
from reviews.progress import progress_unit, round_progress
from reviews.selectors import round_get
from reviews.sheets import grid_evaluator


@login_required
@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's sheets due and submitted, 讲评会 held and (once closed) grades
    over a unit of its subtree (``?organization=``; by default where the user's
    review right starts), per direct child and per sector: for the office and
    the committees that review that unit."""
    round_ = round_get(request.user, pk)
    asked = request.GET.get("organization")
    if asked:
        unit = selectors.organization_get(request.user, asked)
        if not selectors.contains(round_.organization, unit):
            raise Http404
    else:
        unit = progress_unit(request.user, round_) or round_.organization
    if not selectors.can(request.user, selectors.REVIEW, unit):
        raise PermissionDenied(
            _("只有活动办公室或上级党组织可以查看“%(unit)s”的评议进度") % {"unit": unit.name}
        )
    total, children, sectors = round_progress(round_, unit)
    here = reverse("reviews:progress", kwargs={"pk": round_.pk})
    for row in children:
        assert row.organization is not None
        row.url = f"{here}?organization={row.organization.pk}"
    # 上一级: the parent's page, while it is inside the round and the user reviews it.
    up = ""
    parent = unit.parent if unit.pk != round_.organization_id else None
    if parent is not None and selectors.can(request.user, selectors.REVIEW, parent):
        up = f"{here}?organization={parent.pk}"
    context = {
        "round": round_,
        "kind": round_.kind,
        "unit": unit,
        "up": up,
        "total": total,
        "children": children,
        "tables": [
            *([(_("按下级组织"), _("党组织"), children)] if children else []),
            (_("按领域"), _("领域"), sectors),
        ],
        "evaluator": EvaluatorKind(grid_evaluator(round_)).label,
        "grades": list(total.grades) if total.grades is not None else [],
        "meetings": total.meetings_due is not None,
    }
    return render(request, "reviews/progress.html", context)
