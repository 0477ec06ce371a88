"""评选表彰公示, readable without a login: /biaozhang/<round>/.

Only a round in 公示 or 已表彰 is public; the page hands the template plain
rows (name, unit, category, the 简要事迹 the unit wrote for 公示), never a
member's record, phone number, 事迹材料 or the facts read; it says when 公示
ends and how many objections are being handled, not their text. A visitor's
objection (异议) is rate-limited per address and capped (``awards.publicity``)."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from awards import publicity
from awards.models import AwardRound
from core.net import client_address


@dataclass(frozen=True)
class Row:
    pk: int
    name: str
    unit: str
    category: str
    summary: str
    withdrawn: bool = False


def _round(pk: Any) -> AwardRound:
    round_ = (
        AwardRound.objects.select_related("campaign__organization")
        .filter(pk=pk, state__in=[AwardRound.State.PUBLICITY, AwardRound.State.FINISHED])
        .first()
    )
    if round_ is None:
        raise Http404
    return round_


def _rows(round_: AwardRound) -> list[Row]:
    out = []
    for n in publicity.listed(round_):
        unit = n.member.organization.name if n.member_id else n.organization.name
        out.append(Row(n.pk, n.subject_name, unit, n.category.name, n.summary))
    return out


def _render(request: HttpRequest, round_: AwardRound, *, form=None, problem="", status=200):
    context = {
        "round": round_,
        "organ": round_.campaign.organization.name,
        "rows": _rows(round_),
        "open": publicity.publicity_open(round_),
        "handling": publicity.objections_open(round_),
        "form": form or {"nomination": "", "text": "", "contact": ""},
        "problem": problem,
        "text_max": publicity.TEXT_MAX,
        "contact_max": publicity.CONTACT_MAX,
    }
    return render(request, "awards/public.html", context, status=status)


@require_GET
def public_list(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, _round(pk))


@require_POST
def objection_post(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(pk)
    form = {k: request.POST.get(k, "") for k in ("nomination", "text", "contact")}
    raw = form["nomination"].strip()
    try:
        publicity.objection_add(
            round_=round_,
            nomination_pk=int(raw) if raw.isdigit() else 0,
            text=form["text"],
            contact=form["contact"],
            address=client_address(request),
        )
    except publicity.RoundError as error:
        return _render(request, round_, form=form, problem=str(error), status=400)
    messages.success(request, _("异议已收到，活动办公室将核实处理。感谢您的监督！"))
    return redirect(reverse("award_public", args=[round_.pk]) + "#objection")


@require_GET
def showcase(request: HttpRequest, pk: int) -> HttpResponse:
    """网上巡展 of a finished round: each awardee's name, unit, title and the
    简要事迹 written for 公示 (public material); no photo (nomination photos are
    shown to staff only), no 事迹材料, no private data."""
    from awards import document_jobs, documents

    round_ = _round(pk)
    if round_.state != AwardRound.State.FINISHED:
        raise Http404
    rows = document_jobs.awardee_rows(document_jobs.nominees(round_, awarded_only=True))
    context = {
        "round": round_,
        "organ": round_.campaign.organization.name,
        "groups": documents.grouped(rows),
    }
    return render(request, "awards/showcase.html", context)
