"""站内通知: the user's own list, mark one read, mark all read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import notify

PAGE_SIZE = 30


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    found = notify.notifications_for(request.user)
    if request.GET.get("unread"):
        found = found.filter(read_at__isnull=True)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread_only": bool(request.GET.get("unread"))}
    return render(request, "core/notifications.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read; with ``open`` go on to where it points (a site-local address)."""
    notification = get_object_or_404(notify.notifications_for(request.user), pk=pk)
    notify.notification_read(user=request.user, notification=notification)
    target = notification.url
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("core:notification_list")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    n = notify.notifications_read_all(user=request.user)
    messages.success(request, _("已将 %(n)s 条通知标为已读") % {"n": n})
    return redirect("core:notification_list")
