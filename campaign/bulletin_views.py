"""Pages of 工作简报 / 通报 / 检查通报 for staff: the list of what the user reads,
a bulletin's page, new and edit for the issuing organisation's REVIEW roles,
发布 and 撤回. A bulletin the user may not read is a 404, as a missing one."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign import bulletins
from campaign.bulletin_forms import BulletinForm
from campaign.models_bulletins import Bulletin, BulletinAttachment
from campaign.selectors import campaigns_for
from core import audit
from core.forms import ReasonForm
from core.models import AuditEntry
from core.views import move_response
from orgs import selectors

PAGE_SIZE = 30


@login_required
@require_GET
def bulletin_list(request: HttpRequest) -> HttpResponse:
    rows = bulletins.bulletins_for(request.user)
    kind = request.GET.get("kind", "")
    if kind in Bulletin.Kind.values:
        rows = rows.filter(kind=kind)
    drafts = request.GET.get("state") == Bulletin.State.DRAFT
    if drafts:  # the 待办's list: the drafts the user may publish
        rows = bulletins.drafts_for(request.user)
    rows = rows.order_by("-published_at", "-created_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": "state=draft&"
        if drafts
        else f"kind={kind}&"
        if kind in Bulletin.Kind.values
        else "",
        "drafts": drafts,
        "kind": kind,
        "kinds": Bulletin.Kind.choices,
        "may_issue": bulletins.issuers_for(request.user).exists(),
    }
    return render(request, "campaign/bulletin_list.html", context)


def _form_files(request: HttpRequest, form: BulletinForm) -> list[Any]:
    upload = form.cleaned_data.get("attachment")
    return [upload] if upload else []


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_new(request: HttpRequest) -> HttpResponse:
    issuers = bulletins.issuers_for(request.user)
    if not issuers.exists():
        raise PermissionDenied(_("只有活动办公室或党（工）委可以起草简报"))
    campaigns = campaigns_for(request.user, selectors.REVIEW).order_by("-start_date")
    form = BulletinForm(
        request.POST or None,
        request.FILES or None,
        campaigns=campaigns,
        organizations=issuers,
        initial={
            "audience": Bulletin.Audience.SUBTREE,
            "organization": issuers.first(),
            "campaign": campaigns.first(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bulletin = bulletins.bulletin_create(
                user=request.user,
                campaign=data["campaign"],
                organization=data["organization"],
                kind=data["kind"],
                title=data["title"],
                body=data["body"],
                audience=data["audience"],
                uploads_=_form_files(request, form),
            )
        except bulletins.BulletinError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("简报草稿已保存，核对后可以发布"))
            return redirect("campaign:bulletin_detail", pk=bulletin.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "campaign/bulletin_form.html", {"form": form, "bulletin": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = bulletins.bulletin_get(request.user, pk)
    if not bulletins.may_write(request.user, bulletin):
        raise PermissionDenied(_("只有发布单位的活动办公室或党（工）委可以修改简报"))
    if bulletin.state != Bulletin.State.DRAFT:
        messages.error(
            request,
            _("简报当前为“%(state)s”，不能修改") % {"state": bulletin.get_state_display()},
        )
        return redirect("campaign:bulletin_detail", pk=bulletin.pk)
    initial = {name: getattr(bulletin, name) for name in ("kind", "title", "body", "audience")}
    form = BulletinForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bulletins.bulletin_update(
                bulletin=bulletin,
                user=request.user,
                kind=data["kind"],
                title=data["title"],
                body=data["body"],
                audience=data["audience"],
                uploads_=_form_files(request, form),
            )
        except bulletins.BulletinError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("简报草稿已保存"))
            return redirect("campaign:bulletin_detail", pk=bulletin.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "campaign/bulletin_form.html",
        {"form": form, "bulletin": bulletin},
        status=status,
    )


@login_required
@require_GET
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = bulletins.bulletin_get(request.user, pk)
    writer = bulletins.may_write(request.user, bulletin)
    entries = AuditEntry.objects.filter(model="campaign.bulletin", object_id=str(bulletin.pk))
    context = {
        "bulletin": bulletin,
        "attachments": list(bulletin.attachments.all()),
        "may_edit": writer and bulletin.state == Bulletin.State.DRAFT,
        "may_publish": writer and bulletin.state == Bulletin.State.DRAFT,
        "may_withdraw": writer and bulletin.state == Bulletin.State.PUBLISHED,
        "withdraw_form": ReasonForm(move=bulletins.WORKFLOW.moves["withdraw"]),
        "source_url": bulletins.source_url(request.user, bulletin),
        "history": audit.record_history(entries, request.GET.get("history")) if writer else None,
    }
    return render(request, "campaign/bulletin_detail.html", context)


def _back(bulletin: Bulletin) -> HttpResponse:
    return redirect("campaign:bulletin_detail", pk=bulletin.pk)


@login_required
@require_POST
def bulletin_publish(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = bulletins.bulletin_get(request.user, pk)
    return move_response(
        request,
        bulletins.bulletin_publish,
        done=_("简报已发布"),
        back=_back(bulletin),
        bulletin=bulletin,
    )


@login_required
@require_POST
def bulletin_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = bulletins.bulletin_get(request.user, pk)
    return move_response(
        request,
        bulletins.bulletin_withdraw,
        done=_("简报已撤回"),
        back=_back(bulletin),
        reason_for=bulletins.WORKFLOW.moves["withdraw"],
        bulletin=bulletin,
    )


def file_response(item: BulletinAttachment) -> FileResponse:
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = item.content_type != "application/pdf"
    return FileResponse(
        handle, as_attachment=not inline, filename=item.name, content_type=item.content_type
    )


@login_required
@require_GET
def bulletin_file(request: HttpRequest, pk: int) -> FileResponse:
    """A bulletin's file, for whoever reads the bulletin (others: 404)."""
    item = BulletinAttachment.objects.filter(
        pk=pk, bulletin__in=bulletins.bulletins_for(request.user)
    ).first()
    if item is None:
        raise Http404
    return file_response(item)
