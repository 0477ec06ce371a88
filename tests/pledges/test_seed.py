import pytest
from django.core.management import call_command
from django.utils import timezone

from orgs.models import Role
from pledges.models import Pledge, PledgeComment, PledgeUpdate

pytestmark = pytest.mark.django_db


def test_demo_pledges_are_published_once(district, campaign, client):
    call_command("seed_pledges", "--root", district.root.code, "--branches", "2")
    made = Pledge.objects.count()
    public = Pledge.objects.filter(audience=Pledge.Audience.PUBLIC)
    assert public.count() >= 2 and not public.filter(published_revision=0).exists()
    call_command("seed_pledges", "--root", district.root.code, "--branches", "2")
    assert Pledge.objects.count() == made
    unit = public.filter(member__isnull=True).select_related("organization").first()
    item = unit.revisions.get().items.first()
    page = client.get(f"/gongshi/{unit.organization.code}/").content.decode()
    assert item.content in page


def test_demo_pledges_leave_the_demo_logins_their_work(district, campaign):
    call_command("seed_pledges", "--root", district.root.code, "--branches", "1")
    branch = district.branch  # the district's secretary and member logins are here
    assert (
        district.users["secretary"]
        .role_grants.filter(role=Role.BRANCH_SECRETARY, organization=branch)
        .exists()
    )
    here = Pledge.objects.filter(organization=branch)
    returned = here.get(state=Pledge.State.RETURNED)
    assert returned.member.user == district.users["member"]
    # the branch's other members' pledges to it wait for the secretary (two; a third is a draft)
    others = branch.members.filter(user__isnull=True).count()
    waiting = here.filter(state=Pledge.State.SUBMITTED, member__isnull=False).count()
    assert waiting == min(2, others) > 0
    assert here.filter(state=Pledge.State.DRAFT).count() == (1 if others > 2 else 0)
    assert here.filter(state=Pledge.State.SUBMITTED, audience=Pledge.Audience.PARENT).exists()
    assert (
        PledgeComment.objects.filter(
            pledge__organization=branch, state=PledgeComment.State.PENDING
        ).count()
        == 2
    )


def test_demo_pledges_are_dated_as_a_campaign_under_way(district, campaign):
    import datetime as dt

    today = timezone.localdate()
    campaign.start_date = today - dt.timedelta(days=400)
    campaign.end_date = today + dt.timedelta(days=400)
    campaign.save(update_fields=["start_date", "end_date"])
    call_command("seed_pledges", "--root", district.root.code, "--branches", "2")
    for pledge in Pledge.objects.exclude(published_at=None):
        published = timezone.localdate(pledge.published_at)
        assert campaign.start_date < published < today
        assert pledge.revisions.get(number=1).published_at == pledge.published_at
    updates = PledgeUpdate.objects.select_related("pledge")
    assert updates.exists()
    for update in updates:
        assert timezone.localdate(update.pledge.published_at) <= update.happened_on <= today
