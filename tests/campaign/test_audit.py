"""Campaign configuration changes reach the audit trail: the seed loader and the admin, inlines included."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaign.models import Campaign, Phase
from core.models import AuditEntry
from tests.campaign.test_admin import campaign_form

pytestmark = pytest.mark.django_db


def test_loading_a_seed_records_every_created_row(district):
    call_command("load_campaign", "licheng", "--root", district.root.code)
    campaign = Campaign.objects.get()
    entries = AuditEntry.objects.filter(
        source="command", action="create", organization_id=district.root.pk
    )
    models = {e.model for e in entries}
    assert {
        "campaign.campaign",
        "campaign.phase",
        "campaign.rubric",
        "campaign.criterion",
    } <= models
    assert entries.filter(model="campaign.phase").count() == campaign.phases.count() == 3
    assert entries.get(model="campaign.campaign").changes["name"] == [None, campaign.name]


def test_admin_changes_to_a_campaign_and_its_phases_are_recorded(district, login):
    client = login(district.users["admin"])
    response = client.post(
        reverse("admin:campaign_campaign_add"), campaign_form(client, district.root)
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    created = AuditEntry.objects.filter(source="admin", action="create")
    assert created.filter(model="campaign.campaign").count() == 1
    assert created.filter(model="campaign.phase").count() == 5

    from tests.campaign.test_admin import read_form

    url = reverse("admin:campaign_campaign_change", kwargs={"object_id": campaign.pk})
    data = read_form(client, url, "campaign")
    first = Phase.objects.filter(campaign=campaign).order_by("position").first()
    index = next(
        k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == str(first.pk)
    )
    data[f"phases-{index}-name"] = "学习动员（调整）"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = AuditEntry.objects.get(model="campaign.phase", action="update")
    assert change.changes == {"name": ["学习动员", "学习动员（调整）"]}
    assert change.organization_id == district.root.pk
