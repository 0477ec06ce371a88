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
    district, campaign, *, member=None, organization=None, audience=None, texts=("每月走访群众",)
):
    """A pledge taken through the whole workflow to 已公示."""
    secretary = district.users["secretary"]
    organization = organization or district.branch
    approver = secretary if member is not None else district.users["committee"]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=organization,
        member=member,
        audience=audience or "public",
        items=items(*texts),
        on_behalf=member is not None,
    )
    pledge = services.pledge_submit(pledge=pledge, user=secretary)
    pledge = services.pledge_approve(pledge=pledge, user=approver)
    return services.pledge_publish(pledge=pledge, user=approver)
