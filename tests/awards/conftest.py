import datetime as dt

import pytest

from awards.models import AwardCategory, AwardRound


@pytest.fixture
def award_round(campaign):
    start = campaign.start_date
    return AwardRound.objects.create(
        campaign=campaign,
        name="2011年“七一”表彰",
        nomination_deadline=start + dt.timedelta(days=30),
        endorsement_deadline=start + dt.timedelta(days=40),
        review_deadline=start + dt.timedelta(days=50),
        publicity_days=7,
    )


@pytest.fixture
def category(award_round):
    return AwardCategory.objects.create(
        round=award_round,
        name="优秀共产党员",
        subject=AwardCategory.Subject.MEMBER,
        total_quota=10,
        basis=AwardCategory.Basis.MEMBERS,
    )
