"""The home page (工作台), which sits above every app.

It shows the user's roles and organisations (orgs), their recent jobs (core),
the 待办 each app registered in ``core.todo`` and the 最新简报 (the newest three
bulletins the user reads, ``campaign.bulletins.latest_for``); living here in the glue,
next to ``urls.py``, it may read any app, and no app has to import upwards to
appear on it.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaign.bulletins import latest_for
from core.jobs import jobs_for
from core.todo import todos_for_request
from orgs import selectors
from orgs.models import RoleGrant


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    tops = selectors.with_subtree_member_counts(
        selectors.top_organizations_for(request.user).select_related("sector")
    ).order_by("tree_id", "lft")[:20]
    # login_required: pk is set (``or 0`` only tells the type checker so).
    grants = RoleGrant.objects.filter(user_id=request.user.pk or 0).select_related("organization")
    context = {
        "tops": tops,
        "grants": grants,
        "recent_jobs": jobs_for(request.user)[:5],
        "todos": todos_for_request(request),
        "bulletins": latest_for(request.user),
    }
    return render(request, "core/home.html", context)
