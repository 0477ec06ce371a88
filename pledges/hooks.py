"""What pledges add to the layers below them: the home page's 待办, the stored
pledge counts and the dashboard's columns over them, pledges following a member
who moves, and the pledge import's columns (so the member import can tell a
pledge file).

Imported by ``PledgesConfig.ready``; the registries are ``core.todo``,
``orgs.tallies``, ``campaign.dashboard.register_columns``, ``orgs.hooks`` and
``core.imports.register_template``, so none of those apps imports pledges.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaign import trends
from campaign.dashboard import Chart, Column, Progress, register_charts, register_columns
from campaign.models import Campaign
from campaign.selectors import running_campaign
from core import notify, todo
from core.imports import register_template
from orgs import tallies
from orgs.hooks import on_members_moved
from orgs.models import Organization
from orgs.selectors import own_member, unit_holders
from pledges.importer import TEMPLATE
from pledges.models import Pledge
from pledges.selectors import awaiting_approval, comments_to_moderate, returned_to
from pledges.services import (
    HONOURED,
    PLEDGED,
    PUBLISHED,
    TALLY,
    pledges_follow_members,
    tally_key,
)

on_members_moved("pledges")(pledges_follow_members)
register_template(TEMPLATE)


@todo.register("pledges.approve")
def pledges_to_approve(user: Any) -> todo.Todo:
    """Submitted pledges the user may approve (the 待我审核 list)."""
    n, shown = todo.capped(awaiting_approval(user))
    label = ngettext("%(n)s 份承诺待审核", "%(n)s 份承诺待审核", n) % {"n": shown}
    return todo.Todo(label, n, reverse("pledges:pledge_list") + "?mine=approve")


@todo.register("pledges.returned")
def pledges_returned(user: Any) -> list[todo.Todo]:
    """The user's own pledges (as a member, or their unit's) sent back for revision."""
    return [
        todo.Todo(
            gettext("%(pledger)s的承诺（%(audience)s）被退回，请修改后重新提交")
            % {"pledger": pledge.pledger_name, "audience": pledge.get_audience_display()},
            1,
            reverse("pledges:pledge_detail", args=[pledge.pk]),
        )
        for pledge in returned_to(user)
    ]


@todo.register("pledges.own")
def own_pledge_missing(user: Any) -> todo.Todo:
    """A member with a login who has made no pledge in the campaign running on their branch."""
    member = own_member(user)
    campaign = running_campaign(member.organization) if member else None
    if member is None or campaign is None or campaign.status != Campaign.Status.ACTIVE:
        return todo.Todo("", 0, "")
    if Pledge.objects.filter(campaign=campaign, member=member).exists():
        return todo.Todo("", 0, "")
    label = gettext("您还没有作出本次活动的公开承诺（%(campaign)s）") % {"campaign": campaign.name}
    return todo.Todo(label, 1, reverse("pledges:pledge_create"))


@todo.register("pledges.comments")
def comments_to_review(user: Any) -> todo.Todo:
    """Comments from the public waiting for the user's branch to let them on the board."""
    n, shown = todo.capped(comments_to_moderate(user))
    label = ngettext("%(n)s 条群众留言待审核", "%(n)s 条群众留言待审核", n) % {"n": shown}
    return todo.Todo(label, n, reverse("pledges:comment_list"))


def _published_pledges(campaign: Campaign, organization: Organization) -> str:
    """The pledge list filtered to what the child's figure counts."""
    return (
        f"{reverse('pledges:pledge_list')}?campaign={campaign.pk}"
        f"&organization={organization.pk}&public=1"
    )


@tallies.register(TALLY)
def pledges_per_organization() -> Iterator[tuple[int, str, int]]:
    """Per organisation and campaign: pledges made (any state), on the board,
    honoured at the last 评诺 (``pledges.<campaign>.<figure>``), kept by
    ``pledges.services`` (creation, the workflow's moves, members moving)."""
    rows = (
        Pledge.objects.order_by()
        .values_list("organization_id", "campaign_id")
        .annotate(
            made=Count("pk"),
            published=Count("pk", filter=Q(published_revision__gt=0)),
            honoured=Count("pk", filter=Q(outcome=Pledge.Outcome.HONOURED)),
        )
    )
    for organization_id, campaign_id, made, published, honoured in rows:
        for figure, n in ((PLEDGED, made), (PUBLISHED, published), (HONOURED, honoured)):
            yield organization_id, tally_key(campaign_id, figure), n
    yield from trends.recounted(
        Pledge.objects.filter(published_revision__gt=0), TALLY, "published_at", PUBLISHED
    )
    yield from trends.recounted(
        Pledge.objects.filter(outcome=Pledge.Outcome.HONOURED), TALLY, "outcome_at", HONOURED
    )


trends.register("pledges.published", trends.Series(TALLY, PUBLISHED, _("承诺公示")))
trends.register("pledges.honoured", trends.Series(TALLY, HONOURED, _("承诺兑现")))


register_columns(
    TALLY,
    columns=(
        Column(PLEDGED, _("承诺"), _("公开承诺"), wide_only=True),
        Column(PUBLISHED, _("已公示"), _("承诺已公示"), link=_published_pledges),
        Column(HONOURED, _("已兑现"), _("承诺已兑现"), wide_only=True),
    ),
)


def _pledge_notice(pledge: Pledge, text: str) -> notify.Notice:
    """The unit's editors and, for a member's pledge, the member with a login."""
    users = unit_holders([pledge.organization_id])
    member_user = pledge.member.user_id if pledge.member is not None else None
    if member_user:
        users.append(member_user)
    url = reverse("pledges:pledge_detail", args=[pledge.pk])
    return notify.Notice(users, text % {"pledger": pledge.pledger_name}, url)


@notify.register("pledges.pledge", "approve")
def pledge_approved(pledge: Pledge, actor: Any, reason: str) -> notify.Notice:
    return _pledge_notice(pledge, gettext("%(pledger)s的承诺已审核通过，可以公示"))


@notify.register("pledges.pledge", "return")
def pledge_returned(pledge: Pledge, actor: Any, reason: str) -> notify.Notice:
    text = gettext("%(pledger)s的承诺被退回：") + reason.replace("%", "%%")
    return _pledge_notice(pledge, text)


def pledge_charts(found: Progress, campaign: Campaign, organization: Organization) -> list[Chart]:
    """承诺 by child: on the board and honoured (the stored counts of the rows)."""
    if not found.children:
        return []
    rows = found.children
    return [
        Chart(
            "pledges",
            gettext("公开承诺（按下级组织）"),
            [row.label for row in rows],
            [
                (gettext("已公示"), [row.counts.get(TALLY, {}).get(PUBLISHED, 0) for row in rows]),
                (gettext("已兑现"), [row.counts.get(TALLY, {}).get(HONOURED, 0) for row in rows]),
            ],
        )
    ]


register_charts(TALLY, pledge_charts)
