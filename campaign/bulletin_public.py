"""工作简报公开: the published 公开 bulletins, readable without a login
(``/jianbao/``), on a phone as on a desk.

Only ``bulletins.public_bulletins()`` reaches these pages: no draft, no bulletin
to 本组织及下级, no withdrawn one; the template prints the issuing
organisation's name, the 期数, the date, the title, the body and the files,
never who wrote or published it (tests/campaign/test_bulletins.py)."""

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaign.bulletin_views import file_response
from campaign.bulletins import public_bulletins
from campaign.models_bulletins import BulletinAttachment

PAGE_SIZE = 20


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(public_bulletins(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaign/bulletin_public_list.html", {"page": page, "query": ""})


@require_GET
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = public_bulletins().filter(pk=pk).first()
    if bulletin is None:
        raise Http404
    context = {"bulletin": bulletin, "attachments": list(bulletin.attachments.all())}
    return render(request, "campaign/bulletin_public.html", context)


@require_GET
def public_file(request: HttpRequest, pk: int) -> FileResponse:
    item = BulletinAttachment.objects.filter(pk=pk, bulletin__in=public_bulletins()).first()
    if item is None:
        raise Http404
    return file_response(item)
