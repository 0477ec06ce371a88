"""The public pledge board (公示栏), readable without a login.

Only published revisions reach these pages, through ``selectors.board``, which
hands the template plain records without phone numbers, drafts or anything a
template could print by mistake. Visitors' comments are stored as pending and
shown after the branch approves them.
"""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaign.selectors import running_campaign
from core.net import client_address
from orgs import selectors as org_selectors
from orgs.models import Organization
from pledges import selectors, services
from pledges.forms import CommentForm
from pledges.models import Pledge


def _organization(code: str) -> Organization:
    try:
        return Organization.objects.select_related("parent").get(code=code, is_active=True)
    except Organization.DoesNotExist:
        raise Http404 from None


@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """/gongshi/<code>/: the organisation's published pledges and its members'."""
    organization = _organization(code)
    campaign = running_campaign(organization)
    pledges = selectors.board(organization, campaign) if campaign else []
    children = org_selectors.children(organization).filter(is_active=True)
    context = {
        "organization": organization,
        "campaign": campaign,
        "unit_pledges": [p for p in pledges if not p.is_member],
        "member_pledges": [p for p in pledges if p.is_member],
        "children": children,
        "comment_form": CommentForm(),
    }
    return render(request, "pledges/board.html", context)


@require_POST
def comment_post(request: HttpRequest, code: str, pledge_pk: int) -> HttpResponse:
    """群众监督: a visitor's comment, held for the branch to approve."""
    organization = _organization(code)
    pledge = Pledge.objects.filter(pk=pledge_pk, organization=organization).first()
    if pledge is None or not selectors.on_board(pledge):
        raise Http404
    form = CommentForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}：{errors[0]}")
    else:
        try:
            services.comment_add(
                pledge=pledge,
                text=form.cleaned_data["text"],
                author=form.cleaned_data["author"],
                address=client_address(request),
            )
        except services.PledgeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "感谢您的监督！留言经党组织审核后显示。")
    return redirect(reverse("board", args=[organization.code]) + f"#pledge-{pledge.pk}")


@require_GET
def update_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A 践诺 photo; only a published pledge's photos are public."""
    update = selectors.public_update_photo(pk)
    if not update.photo:
        raise Http404
    response = FileResponse(update.photo.open("rb"))
    name = (update.photo.name or "").lower()
    response["Content-Type"] = "image/png" if name.endswith(".png") else "image/jpeg"
    response["Content-Disposition"] = "inline"
    return response
