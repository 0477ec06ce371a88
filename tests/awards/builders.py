"""An award round ready for its flow, shared by the award tests, the workflow
table and the permission matrix: a member category on the district with its
quota handed down (root 10 → street 5 → community 3 → branch 2) and, if asked,
a nomination of the branch's member in a given state."""

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from awards.models import AwardCategory, AwardRound, Nomination, Objection, Quota

# What the award tests take as today: inside the nomination period.
TODAY = dt.date(2010, 6, 1)
DEEDS = "该同志长期扎根社区，带头开展走访，帮助困难群众解决实际问题二十余件。"


def award_world(
    district, campaign, *, round_state="nominating", nomination_state=None, name="2011年“七一”表彰"
):
    round_ = AwardRound.objects.create(
        campaign=campaign,
        name=name,
        nomination_deadline=dt.date(2010, 6, 30),
        endorsement_deadline=dt.date(2010, 7, 10),
        review_deadline=dt.date(2010, 7, 20),
        publicity_days=7,
        state=round_state,
    )
    category = AwardCategory.objects.create(
        round=round_, name="优秀共产党员", subject="member", total_quota=10
    )
    for org, amount, source in (
        (district.root, 10, "office"),
        (district.street, 5, "allocated"),
        (district.community, 3, "allocated"),
        (district.branch, 2, "allocated"),
        (district.street2, 5, "allocated"),
    ):
        Quota.objects.create(category=category, organization=org, amount=amount, source=source)
    world = SimpleNamespace(round=round_, category=category, nomination=None)
    if nomination_state:
        world.nomination = Nomination.objects.create(
            round=round_,
            category=category,
            unit=district.branch,
            member=district.member,
            summary="带头走访群众",
            deeds=DEEDS,
            state=nomination_state,
        )
    return world


def in_publicity(world, *, ended=False):
    """The round in 公示 (ended, or running for its days)."""
    now = timezone.now()
    ends = now - dt.timedelta(minutes=1) if ended else now + dt.timedelta(days=7)
    AwardRound.objects.filter(pk=world.round.pk).update(
        state="publicity", publicity_starts_at=now - dt.timedelta(days=7), publicity_ends_at=ends
    )
    world.round.refresh_from_db()
    return world


def objection(world, text="该同志事迹材料有夸大"):
    return Objection.objects.create(
        round=world.round, nomination=world.nomination, text=text, address_hash="x" * 64
    )
