"""评选条件: each rule kind's fact and its Chinese reason when it fails, the
admin's refusal of rows that do not fit their kind, and the bulk reads."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awards import eligibility, rules
from awards.models import Award, AwardCategory, AwardRound, EligibilityRule
from orgs.models import Member
from pledges.models import Pledge
from reviews.models import Review, ReviewKind, ReviewRound
from tests.factories import MemberFactory


@pytest.fixture
def review_round(campaign, district):
    kind = ReviewKind.objects.get(campaign=campaign, name="党员民主评议")
    return ReviewRound.objects.create(
        campaign=campaign,
        kind=kind,
        organization=district.community,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )


def _rule(category, kind, **fields):
    rounds = fields.pop("review_rounds", [])
    rule = EligibilityRule.objects.create(category=category, kind=kind, **fields)
    rule.review_rounds.set(rounds)
    return rule


def _one(category, subject):
    result = eligibility.evaluate(category, [subject])[subject.pk]
    assert len(result.facts) == 1
    return result.facts[0]


def test_score_rule_passes_on_score_or_grade_and_says_why_not(category, district, review_round):
    _rule(category, "score", review_rounds=[review_round], min_score=Decimal("90"), grades="好")
    good, graded, low = district.member, district.sibling_member, district.own_member
    missing = MemberFactory(organization=district.branch)
    Review.objects.create(
        round=review_round, organization=district.branch, member=good, composite=95
    )
    Review.objects.create(
        round=review_round, organization=district.sibling, member=graded, composite=80, grade="好"
    )
    Review.objects.create(
        round=review_round,
        organization=district.branch,
        member=low,
        composite=Decimal("85.5"),
        grade="较好",
    )
    results = eligibility.evaluate(category, [good, graded, low, missing])
    assert results[good.pk].eligible and results[graded.pk].eligible
    fact = results[low.pk].facts[0]
    assert not fact.passed
    assert (
        fact.reason == "2010年第四季度党员民主评议85.5（较好），未达到综合得分不低于 90或等次为好"
    )
    assert fact.number == 85.5
    assert results[missing.pk].facts[0].reason == "未参加2010年第四季度党员民主评议"


def test_satisfaction_rule_reads_the_member_branch_rate(category, district, monkeypatch):
    _rule(category, "satisfaction", min_percent=Decimal("85"))
    asked = []

    def rates(campaign, ids):
        asked.append(set(ids))
        return {district.branch.pk: Decimal("80.5")}

    monkeypatch.setattr("reviews.survey_results.satisfaction_rate", rates)
    fact = _one(category, district.member)
    assert asked == [{district.branch.pk}]
    assert not fact.passed and fact.reason == "群众满意率 80.5%，低于 85%"
    assert _one(category, district.far_member).reason == "尚无群众满意率测评结果"
    # A member surveyed in person is read by their own rate, not the branch's.
    monkeypatch.setattr(
        "reviews.survey_results.member_satisfaction_rate",
        lambda campaign, ids: (
            {district.member.pk: Decimal("92")} if district.member.pk in ids else {}
        ),
    )
    fact = _one(category, district.member)
    assert fact.passed and fact.value == "92%"
    assert not _one(category, district.own_member).passed  # the branch's 80.5 %


def test_rectification_rule_names_overdue_and_unverified(category, district, campaign):
    from reviews import rectify
    from reviews.models_rectify import Rectification

    _rule(category, "rectification")
    item = rectify.rectification_open(
        user=district.users["committee"],
        campaign=campaign,
        organization=district.branch,
        description="公示栏承诺未及时更新",
        due_on=dt.date.today() + dt.timedelta(days=30),
        source_kind=Rectification.SourceKind.SPOT_CHECK,
    )
    assert _one(category, district.member).reason == "有尚未核验的整改事项"
    Rectification.objects.filter(pk=item.pk).update(due_on=dt.date(2011, 1, 1))
    assert _one(category, district.member).reason == "有逾期未完成的整改事项"
    assert _one(category, district.far_member).passed


def _pledge(campaign, member, outcome, audience):
    return Pledge.objects.create(
        campaign=campaign,
        organization=member.organization,
        member=member,
        audience=audience,
        state=Pledge.State.PUBLISHED,
        outcome=outcome,
    )


def test_pledge_rule_all_honoured_or_a_share(category, district, campaign):
    rule = _rule(category, "pledges")
    _pledge(campaign, district.member, "honoured", "public")
    _pledge(campaign, district.member, "partial", "organization")
    fact = _one(category, district.member)
    assert fact.reason == "2 项承诺，已兑现 1 项（50%），未达到全部已兑现"
    rule.min_percent = Decimal("50")
    rule.save()
    assert _one(category, district.member).passed
    assert _one(category, district.far_member).reason == "本活动中没有已公示的承诺"


def test_full_member_rule(category, district):
    _rule(category, "full_member")
    Member.objects.filter(pk=district.member.pk).update(category="probationary")
    member = Member.objects.get(pk=district.member.pk)
    fact = _one(category, member)
    assert fact.reason == f"{member.name}为预备党员，不是正式党员"
    assert _one(category, district.far_member).passed


def test_not_awarded_rule_reads_earlier_finished_rounds(category, district, award_round):
    _rule(category, "not_awarded", rounds_back=1)
    earlier = AwardRound.objects.create(
        campaign=award_round.campaign,
        name="2010年“七一”表彰",
        nomination_deadline=award_round.nomination_deadline - dt.timedelta(days=10),
        endorsement_deadline=award_round.nomination_deadline - dt.timedelta(days=5),
        review_deadline=award_round.nomination_deadline - dt.timedelta(days=4),
        state=AwardRound.State.FINISHED,
    )
    old_category = AwardCategory.objects.create(
        round=earlier, name="优秀共产党员", subject="member", total_quota=3
    )
    Award.objects.create(
        round=earlier,
        category=old_category,
        member=district.member,
        title="优秀共产党员",
        awarded_on=dt.date(2011, 7, 1),
    )
    fact = _one(category, district.member)
    assert fact.reason == "已在2010年“七一”表彰获得“优秀共产党员”称号（近 1 次评选不得重复）"
    assert _one(category, district.far_member).passed


def test_rules_are_read_in_bulk_not_per_subject(category, district, review_round):
    _rule(category, "score", review_rounds=[review_round], min_score=Decimal("60"))
    _rule(category, "not_awarded", rounds_back=2)
    _rule(category, "full_member")
    few = [district.member]
    many = [MemberFactory(organization=district.branch) for _ in range(30)]
    with CaptureQueriesContext(connection) as one:
        eligibility.evaluate(category, few)
    with CaptureQueriesContext(connection) as thirty:
        eligibility.evaluate(category, many)
    assert len(thirty) == len(one)


def test_rows_that_do_not_fit_their_kind_are_refused_naming_the_field(category, review_round):
    rule = EligibilityRule(category=category, kind="score", min_percent=Decimal("80"))
    problems = rules.eligibility_problems(rule, [])
    assert problems["review_rounds"] == ["“评议得分或等次”条件须选择至少一个评议轮次"]
    assert problems["min_score"] == ["“评议得分或等次”条件须填写综合得分下限或等次"]
    assert problems["min_percent"] == ["“不低于（%）”不适用于“评议得分或等次”条件，请留空"]
    org_category = AwardCategory.objects.create(
        round=category.round, name="先进基层党组织", subject="organization", total_quota=3
    )
    problems = rules.eligibility_problems(
        EligibilityRule(category=org_category, kind="score", min_score=80), [review_round]
    )
    assert problems["review_rounds"] == [f"评议轮次“{review_round}”的评议对象与表彰对象不一致"]
    problems = rules.eligibility_problems(
        EligibilityRule(category=org_category, kind="full_member"), []
    )
    assert problems == {"kind": ["“仅限正式党员”只适用于表彰党员的项目"]}
    assert rules.eligibility_problems(EligibilityRule(category=category, kind="satisfaction"), [])[
        "min_percent"
    ] == ["“群众满意率”条件须填写满意率下限（%）"]
    assert rules.eligibility_problems(EligibilityRule(category=category, kind="not_awarded"), [])[
        "rounds_back"
    ] == ["“近几次未获同一称号”条件须填写近几次评选（至少 1）"]


def test_the_admin_inline_refuses_an_inconsistent_rule(client, category, district):
    client.force_login(district.users["admin"])
    url = f"/admin/awards/awardcategory/{category.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "round": category.round_id,
        "position": 0,
        "name": category.name,
        "subject": category.subject,
        "total_quota": category.total_quota,
        "basis": category.basis,
        "minimum_per_child": 0,
        "rules-TOTAL_FORMS": 1,
        "rules-INITIAL_FORMS": 0,
        "rules-MIN_NUM_FORMS": 0,
        "rules-MAX_NUM_FORMS": 1000,
        "rules-0-position": 0,
        "rules-0-kind": "satisfaction",
        "rules-0-min_percent": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "“群众满意率”条件须填写满意率下限（%）" in refused.content.decode()
    assert not EligibilityRule.objects.exists()
    data["rules-0-min_percent"] = "85"
    assert client.post(url, data).status_code == 302
    assert EligibilityRule.objects.get().min_percent == 85
