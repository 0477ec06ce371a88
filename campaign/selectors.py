"""Reads for campaigns that apply the scoping rule."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from campaign.models import Campaign
from orgs import selectors


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    """Campaigns whose root tree holds something in the user's scope.

    A campaign sits on a root, so "its root contains something I can see" is
    "I can see an organisation of the same tree".
    """
    trees = selectors.organizations_for(user).values("tree_id")
    return Campaign.objects.filter(organization__tree_id__in=trees).select_related("organization")


def campaign_get(user: Any, pk: int | str) -> Campaign:
    try:
        return campaigns_for(user).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError):
        raise Http404 from None
