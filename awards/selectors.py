"""Scoped reads of award rounds, categories and quotas: who reviews something
in a campaign's tree (``REVIEW``: the office, the committees) sees its rounds;
a quota page is for an organisation the user reviews. Anything else is a 404,
as a missing id."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from awards.models import AwardCategory, AwardRound
from campaign.selectors import campaigns_for
from orgs import selectors
from orgs.models import Organization


def rounds_for(user: Any) -> QuerySet[AwardRound]:
    return AwardRound.objects.filter(
        campaign__in=campaigns_for(user, selectors.REVIEW)
    ).select_related("campaign", "milestone")


def round_get(user: Any, pk: Any) -> AwardRound:
    try:
        return rounds_for(user).get(pk=pk)
    except (AwardRound.DoesNotExist, ValueError):
        raise Http404 from None


def category_get(user: Any, pk: Any) -> AwardCategory:
    try:
        return AwardCategory.objects.select_related("round__campaign__organization").get(
            pk=pk, round__in=rounds_for(user)
        )
    except (AwardCategory.DoesNotExist, ValueError):
        raise Http404 from None


def unit_get(user: Any, category: AwardCategory, pk: Any) -> Organization:
    """An organisation of the category's campaign tree that the user reviews."""
    root = category.round.campaign.organization
    try:
        return (
            selectors.organizations_for(user, selectors.REVIEW)
            .filter(selectors.tree_q(root))
            .get(pk=pk)
        )
    except (Organization.DoesNotExist, ValueError):
        raise Http404 from None


def tops_in(user: Any, round_: AwardRound) -> list[Organization]:
    """The highest organisations the user reviews in the round's campaign tree
    (the office: the root; a committee: its own unit)."""
    root = round_.campaign.organization
    if getattr(user, "is_superuser", False):
        return [root]
    tops = selectors.top_organizations_for(user, selectors.REVIEW).filter(selectors.tree_q(root))
    return list(tops.order_by("lft"))
