"""What pledges add to the layers below them: the home page's 待办, the dashboard's
pledge columns, pledges following a member who moves, and the pledge import's
columns (so the member import can tell a pledge file).

Imported by ``PledgesConfig.ready``; the registries are ``core.todo``,
``campaign.dashboard.register_columns``, ``orgs.hooks`` and
``core.imports.register_template``, so none of those apps imports pledges.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaign.dashboard import Column, register_columns
from campaign.models import Campaign
from campaign.selectors import running_campaign
from core import todo
from core.imports import register_template
from orgs.hooks import on_members_moved
from orgs.models import Organization
from orgs.selectors import own_member
from pledges.importer import TEMPLATE
from pledges.models import Pledge
from pledges.selectors import awaiting_approval, comments_to_moderate, returned_to
from pledges.services import pledges_follow_members

on_members_moved("pledges")(pledges_follow_members)
register_template(TEMPLATE)


@todo.register("pledges.approve")
def pledges_to_approve(user: Any) -> todo.Todo:
    """Submitted pledges the user may approve (the 待我审核 list)."""
    n = awaiting_approval(user).count()
    label = ngettext("%(n)s 份承诺待审核", "%(n)s 份承诺待审核", n) % {"n": n}
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
    n = comments_to_moderate(user).count()
    label = ngettext("%(n)s 条群众留言待审核", "%(n)s 条群众留言待审核", n) % {"n": n}
    return todo.Todo(label, n, reverse("pledges:comment_list"))


def _published_pledges(campaign: Campaign, organization: Organization) -> str:
    """The pledge list filtered to what the child's figure counts."""
    return (
        f"{reverse('pledges:pledge_list')}?campaign={campaign.pk}"
        f"&organization={organization.pk}&public=1"
    )


@register_columns(
    "pledges",
    columns=(
        Column("pledged", _("承诺"), _("公开承诺"), wide_only=True),
        Column(
            "published",
            _("已公示"),
            _("承诺已公示"),
            Q(published_revision__gt=0),
            link=_published_pledges,
        ),
        Column(
            "honoured",
            _("已兑现"),
            _("承诺已兑现"),
            Q(outcome=Pledge.Outcome.HONOURED),
            wide_only=True,
        ),
    ),
)
def campaign_pledges(campaign: Campaign) -> QuerySet[Pledge]:
    """公开承诺 of the campaign: made (any state), on the board, honoured at the last 评诺."""
    return Pledge.objects.filter(campaign=campaign)
