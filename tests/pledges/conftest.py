import datetime as dt

import pytest
from django.core.management import call_command

from campaign.models import Campaign
from pledges import services
from pledges.services import ItemInput


@pytest.fixture
def campaign(district):
    call_command("load_campaign", "licheng", "--root", district.root.code)
    return Campaign.objects.get()


def items(*contents: str, due=dt.date(2011, 6, 30)) -> list[ItemInput]:
    return [ItemInput(content=c, due_date=due, verification="群众评议") for c in contents]


def published(
    district,
    campaign,
    *,
    member=None,
    organization=None,
    audience=None,
    texts=("每月走访群众",),
    due=dt.date(2011, 6, 30),
):
    """A pledge taken through the whole workflow to 已公示."""
    organization = organization or (member.organization if member else district.branch)
    # The branch's own people where the fixtures have them; the admin elsewhere.
    own = organization == district.branch
    secretary = district.users["secretary"] if own else district.users["admin"]
    approver = secretary if member is not None or not own else district.users["committee"]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=organization,
        member=member,
        audience=audience or "public",
        items=items(*texts, due=due),
        on_behalf=member is not None,
    )
    pledge = services.pledge_submit(pledge=pledge, user=secretary)
    pledge = services.pledge_approve(pledge=pledge, user=approver)
    return services.pledge_publish(pledge=pledge, user=approver)
