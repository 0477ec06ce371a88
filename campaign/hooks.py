"""What campaign adds to the layers below it: the home page's 待办 for plans and
the stored plan counts.

Imported by ``CampaignConfig.ready``; the registries are ``core.todo``,
``core.notify`` and ``orgs.tallies``, so neither core nor orgs imports campaign.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from campaign import trends
from campaign.bulletins import drafts_for
from campaign.models import Campaign, Phase, Plan
from campaign.plans import ACCEPTED_IN, TALLY, tally_key
from campaign.selectors import filed_plans, own_plans, plan_units_q, plans_to_review
from core import notify, reminders, todo
from orgs import tallies
from orgs.models import Organization
from orgs.selectors import holders_by_unit, unit_holders


@tallies.register(TALLY)
def plans_per_unit() -> Iterator[tuple[int, str, int]]:
    """Plans per unit, campaign and state (``plans.<campaign>.<state>``), kept by
    ``campaign.plans`` (creation, every workflow move); bulk writers of plans
    recount them (``tallies.recount([TALLY])``)."""
    rows = Plan.objects.order_by().values_list("organization_id", "campaign_id", "state")
    for organization_id, campaign_id, state, n in rows.annotate(n=Count("pk")):
        yield organization_id, tally_key(campaign_id, state), n
    yield from trends.recounted(
        Plan.objects.filter(state=Plan.State.ACCEPTED),
        TALLY,
        "reviewed_at",
        ACCEPTED_IN,
    )


trends.register("plans.accepted", trends.Series(TALLY, ACCEPTED_IN, gettext_lazy("方案备案")))


@todo.register("campaign.review")
def plans_waiting_for_me(user: Any) -> todo.Todo:
    """Submitted plans the user may 备案 or 退回 (the 待我备案 list)."""
    n, shown = todo.capped(plans_to_review(user))
    label = ngettext("%(n)s 份实施方案待备案", "%(n)s 份实施方案待备案", n) % {"n": shown}
    return todo.Todo(label, n, reverse("campaign:plan_list") + "?mine=review")


@todo.register("campaign.bulletin_drafts")
def bulletin_drafts(user: Any) -> todo.Todo:
    """Drafts of 工作简报 / 通报 / 检查通报 the user may publish (a 检查通报 lands as one)."""
    n = drafts_for(user).count() if user.is_authenticated else 0
    label = ngettext("%(n)s 份简报草稿待发布", "%(n)s 份简报草稿待发布", n) % {"n": n}
    return todo.Todo(label, n, reverse("campaign:bulletin_list") + "?state=draft")


@todo.register("campaign.own")
def my_units_plans(user: Any) -> list[todo.Todo]:
    """The plan of each unit the user answers for, while it is returned or not yet filed."""
    lines = []
    for own in own_plans(user):
        if own.plan is not None and own.plan.state == Plan.State.RETURNED:
            text = _("%(unit)s的实施方案被退回，请修改后重新报送")
        elif not own.filed:
            text = _("%(unit)s的实施方案尚未报送")
        else:
            continue
        url = reverse(
            "campaign:plan_detail",
            kwargs={"campaign_pk": own.campaign.pk, "organization_pk": own.organization.pk},
        )
        lines.append(todo.Todo(text % {"unit": own.organization.name}, 1, url))
    return lines


def _plan_url(plan: Plan) -> str:
    return reverse(
        "campaign:plan_detail",
        kwargs={"campaign_pk": plan.campaign_id, "organization_pk": plan.organization_id},
    )


@notify.register("campaign.plan", "accept")
def plan_accepted(plan: Plan, actor: Any, reason: str) -> notify.Notice:
    """The unit's editors hear that its plan was filed (备案)."""
    text = _("%(unit)s的实施方案已备案") % {"unit": plan.organization.name}
    return notify.Notice(unit_holders([plan.organization_id]), text, _plan_url(plan))


@notify.register("campaign.plan", "return")
def plan_returned(plan: Plan, actor: Any, reason: str) -> notify.Notice:
    """The unit's editors hear that its plan was returned, and why."""
    text = _("%(unit)s的实施方案被退回：%(reason)s") % {
        "unit": plan.organization.name,
        "reason": reason,
    }
    return notify.Notice(unit_holders([plan.organization_id]), text, _plan_url(plan))


@reminders.register("campaign.plan_due")
def plans_due(today: dt.date) -> Iterator[reminders.Due]:
    """Units of a campaign under way that have not filed their plan (实施方案) while
    the first phase (动员部署, when the seeds have plans made) nears its end."""
    start, end = reminders.lead_window(today)
    phases = Phase.objects.filter(
        campaign__status=Campaign.Status.ACTIVE, end_date__range=(start, end)
    ).select_related("campaign__organization")
    for phase in phases:
        campaign = phase.campaign
        if campaign.phases.filter(position__lt=phase.position).exists():
            continue
        units = Organization.objects.filter(plan_units_q(campaign)).exclude(
            pk__in=filed_plans(campaign).values("organization_id")
        )
        names = dict(units.values_list("pk", "name"))
        for unit_id, users in holders_by_unit(names).items():
            url = reverse(
                "campaign:plan_detail",
                kwargs={"campaign_pk": campaign.pk, "organization_pk": unit_id},
            )
            text = _("%(unit)s的实施方案尚未报送，请在 %(day)s（%(phase)s结束）前报送") % {
                "unit": names[unit_id],
                "day": phase.end_date.isoformat(),
                "phase": phase.name,
            }
            yield reminders.Due(users, Organization(pk=unit_id), phase.end_date, text, url)
