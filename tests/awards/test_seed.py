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


def test_seed_awards_also_finishes_a_past_round_with_its_documents(
    district, campaign, django_capture_on_commit_callbacks
):
    """With the campaign running today (as the demo's), a 七一 round before today
    is finalised with its 文号 and its documents made, this year's is in 公示 and
    the award moment's round ahead is open, its nominations waiting to be endorsed."""
    import datetime as dt

    from django.utils import timezone

    from awards.models import Award
    from core.models import Job
    from tests.factories import MemberFactory

    today = timezone.localdate()
    type(campaign).objects.filter(pk=campaign.pk).update(
        start_date=today - dt.timedelta(days=400), end_date=today + dt.timedelta(days=400)
    )
    campaign.milestones.filter(kind="award").delete()
    campaign.milestones.create(kind="award", name="下一次表彰", date=today + dt.timedelta(days=120))
    for _ in range(6):
        MemberFactory(organization=district.branch)
    UserFactory(username="root", is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_awards", "--root", district.root.code, stdout=io.StringIO())
    done, shown, open_ = AwardRound.objects.order_by("nomination_deadline")
    assert done.state == "finished" and done.decision_number and done.name.endswith("“七一”表彰")
    assert Award.objects.filter(round=done).exists()
    assert shown.state == "publicity" and shown.review_deadline < today
    assert shown.objections.filter(state="open").count() == 1
    assert open_.state == "nominating" and open_.nomination_deadline > today
    states = sorted(open_.nominations.values_list("state", flat=True))
    assert "endorsed" in states and "endorsing" in states
    kinds = set(open_.nominations.values_list("category__subject", flat=True))
    assert kinds == {"member", "organization"}
    # Each round names other people.
    named = [set(r.nominations.values_list("member_id", flat=True)) - {None} for r in (done, shown)]
    assert named[0] and named[1] and not named[0] & named[1]
    jobs = Job.objects.filter(kind__in=["award_decision", "award_certificates", "award_list"])
    assert sorted(jobs.values_list("status", flat=True)) == ["succeeded"] * 3
