"""The public pledge board (公示栏), readable without a login.

Only published revisions reach these pages, through ``selectors.board``, which
hands the template plain records without phone numbers, drafts or anything a
template could print by mistake. Visitors' comments are stored as pending and
shown after the branch approves them.
"""

from typing import Any

from django.contrib import messages
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
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


# A visitor's comment is answered at its own pledge: the message carries this tag.
_TAG = "pledge-"


def _form_ids(pledge_pk: int) -> str:
    return f"comment-{pledge_pk}-%s"


def _notes(request: HttpRequest) -> tuple[dict[int, list[Any]], list[Any]]:
    """The messages for one pledge's comment form (tagged ``pledge-<pk>``) and the rest."""
    notes: dict[int, list[Any]] = {}
    rest = []
    for message in messages.get_messages(request):
        tag = message.extra_tags or ""
        if tag.startswith(_TAG) and tag[len(_TAG) :].isdigit():
            notes.setdefault(int(tag[len(_TAG) :]), []).append(message)
        else:
            rest.append(message)
    return notes, rest


def _render_board(
    request: HttpRequest,
    organization: Organization,
    *,
    notes: dict[int, list[Any]] | None = None,
    refused: dict[int, CommentForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    campaign = running_campaign(organization)
    pledges = selectors.board(organization, campaign) if campaign else []
    children = org_selectors.children(organization).filter(is_active=True)
    stored_notes, page_messages = _notes(request)
    # One form per pledge, each with its own element ids (a label names its own field).
    forms = {p.pk: CommentForm(auto_id=_form_ids(p.pk)) for p in pledges} | (refused or {})
    context = {
        "organization": organization,
        "campaign": campaign,
        "unit_pledges": [p for p in pledges if not p.is_member],
        "member_pledges": [p for p in pledges if p.is_member],
        "children": children,
        # A visitor's post is answered where it was made (a phone would not show the
        # top of the page): its note, and on a refusal the form again with the text.
        "notes": notes or stored_notes,
        "comment_forms": forms,
        "open_comment": next(iter(refused or {}), None),
        "page_messages": page_messages,
    }
    return render(request, "pledges/board.html", context, status=status)


@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """/gongshi/<code>/: the organisation's published pledges and its members'."""
    return _render_board(request, _organization(code))


@require_POST
def comment_post(request: HttpRequest, code: str, pledge_pk: int) -> HttpResponse:
    """群众监督: a visitor's comment, held for the branch to approve.

    Done: back to the board at that pledge's comment form, with the thanks shown
    there. Refused: the board again with the visitor's text and the reason there."""
    organization = _organization(code)
    pledge = Pledge.objects.filter(pk=pledge_pk, organization=organization).first()
    if pledge is None or not selectors.on_board(pledge):
        raise Http404
    form = CommentForm(request.POST, auto_id=_form_ids(pledge.pk))
    problem = ""
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        problem = f"{label}：{errors[0]}"
    else:
        try:
            services.comment_add(
                pledge=pledge,
                text=form.cleaned_data["text"],
                author=form.cleaned_data["author"],
                address=client_address(request),
            )
        except services.PledgeError as exc:
            problem = str(exc)
    if problem:
        refusal = Message(constants.ERROR, problem)
        return _render_board(
            request,
            organization,
            notes={pledge.pk: [refusal]},
            refused={pledge.pk: form},
            status=400,
        )
    messages.success(
        request, _("感谢您的监督！留言经党组织审核后显示。"), extra_tags=f"{_TAG}{pledge.pk}"
    )
    return redirect(reverse("board", args=[organization.code]) + f"#pledge-{pledge.pk}-comment")


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
