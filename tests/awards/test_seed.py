import io

from django.core.management import call_command

from awards.models import AwardRound, Quota
from tests.factories import UserFactory


def test_seed_awards_hands_quotas_down_once(district, campaign):
    from tests.factories import MemberFactory

    for _ in range(3):
        MemberFactory(organization=district.branch)
    MemberFactory(organization=district.sibling)
    UserFactory(username="root", is_superuser=True, is_staff=True)
    out = io.StringIO()
    call_command("seed_awards", "--root", district.root.code, stdout=out)
    assert "已生成评选表彰" in out.getvalue()
    round_ = AwardRound.objects.get(campaign=campaign)
    for category in round_.categories.all():
        children = Quota.objects.filter(category=category, organization__parent=district.root)
        assert sum(q.amount for q in children) == category.total_quota
        street = Quota.objects.filter(category=category, organization__parent=district.street)
        assert sum(q.amount for q in street) == children.get(organization=district.street).amount
    # the flow: nominations by the street's units, endorsed, 复审, the round in 公示
    assert round_.state == "publicity"
    states = set(round_.nominations.values_list("state", flat=True))
    assert {"vetted"} <= states
    assert round_.objections.filter(state="open").count() == 1
    rows = Quota.objects.count()
    call_command("seed_awards", "--root", district.root.code, stdout=out)
    assert "跳过" in out.getvalue()
    assert (AwardRound.objects.count(), Quota.objects.count()) == (1, rows)
