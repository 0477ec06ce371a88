import pytest
from django.core.management import call_command

from pledges.models import Pledge

pytestmark = pytest.mark.django_db


def test_demo_pledges_are_published_once(district, campaign, client):
    call_command("seed_pledges", "--root", district.root.code, "--branches", "2")
    made = Pledge.objects.count()
    assert made >= 2 and not Pledge.objects.filter(published_revision=0).exists()
    call_command("seed_pledges", "--root", district.root.code, "--branches", "2")
    assert Pledge.objects.count() == made
    unit = Pledge.objects.filter(member__isnull=True).select_related("organization").first()
    item = unit.revisions.get().items.first()
    page = client.get(f"/gongshi/{unit.organization.code}/").content.decode()
    assert item.content in page
