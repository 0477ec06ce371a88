"""What campaign adds to the layers below it: the home page's 待办 for plans and
the stored plan counts.

Imported by ``CampaignConfig.ready``; the registries are ``core.todo`` and
``orgs.tallies``, so neither core nor orgs imports campaign.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaign.bulletins import drafts_for
from campaign.models import Plan
from campaign.plans import TALLY, tally_key
from campaign.selectors import own_plans, plans_to_review
from core import todo
from orgs import tallies


@tallies.register(TALLY)
def plans_per_unit() -> Iterator[tuple[int, str, int]]:
    """Plans per unit, campaign and state (``plans.<campaign>.<state>``), kept by
    ``campaign.plans`` (creation, every workflow move); bulk writers of plans
    recount them (``tallies.recount([TALLY])``)."""
    rows = Plan.objects.order_by().values_list("organization_id", "campaign_id", "state")
    for organization_id, campaign_id, state, n in rows.annotate(n=Count("pk")):
        yield organization_id, tally_key(campaign_id, state), n


@todo.register("campaign.review")
def plans_waiting_for_me(user: Any) -> todo.Todo:
    """Submitted plans the user may 备案 or 退回 (the 待我备案 list)."""
    n = plans_to_review(user).count()
    label = ngettext("%(n)s 份实施方案待备案", "%(n)s 份实施方案待备案", n) % {"n": n}
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
