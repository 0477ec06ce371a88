"""Each configuration rule, with the message an admin reads."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from campaign.models import Campaign, ContactPoint, Criterion, Phase, Rubric
from campaign.rules import (
    campaign_configuration_problems,
    campaign_problems,
    validate_phases,
    validate_rubric,
)
from tests.factories import CampaignFactory, OrganizationFactory, UserFactory

D = dt.date


@pytest.fixture
def bare_campaign(district):
    """A campaign with nothing in it yet, for the configuration rules to judge."""
    return CampaignFactory(organization=district.root)


def phase(campaign, position, name, start, end):
    return Phase(campaign=campaign, position=position, name=name, start_date=start, end_date=end)


def criteria(rubric, *weights):
    return [
        Criterion(rubric=rubric, code=str(i), title=f"第{i}项", weight=w, max_score=w)
        for i, w in enumerate(weights, start=1)
    ]


# ------------------------------------------------------------------ phases


@pytest.mark.django_db
def test_sound_phases_have_no_problems(bare_campaign):
    phases = [
        phase(bare_campaign, 1, "第一时段", D(2010, 5, 1), D(2010, 12, 31)),
        phase(bare_campaign, 2, "第二时段", D(2011, 1, 1), D(2011, 6, 30)),
        phase(bare_campaign, 3, "第三时段", D(2011, 7, 1), D(2012, 11, 7)),
    ]
    assert validate_phases(bare_campaign, phases) == []


@pytest.mark.django_db
def test_overlapping_phases_are_named_with_their_dates(bare_campaign):
    problems = validate_phases(
        bare_campaign,
        [
            phase(bare_campaign, 1, "第一时段", D(2010, 5, 1), D(2010, 12, 31)),
            phase(bare_campaign, 2, "第二时段", D(2010, 12, 1), D(2011, 6, 30)),
        ],
    )
    assert problems == [
        "阶段“第一时段”（2010年5月1日至2010年12月31日）与"
        "阶段“第二时段”（2010年12月1日至2011年6月30日）日期重叠：结束日期当天也属于该阶段；"
        "“第二时段”最早可从2011年1月1日开始"
    ]


@pytest.mark.django_db
def test_an_overlap_between_phases_that_are_not_neighbours_is_found(bare_campaign):
    problems = validate_phases(
        bare_campaign,
        [
            phase(bare_campaign, 1, "甲", D(2010, 5, 1), D(2011, 12, 31)),
            phase(bare_campaign, 2, "乙", D(2010, 6, 1), D(2010, 6, 30)),
            phase(bare_campaign, 3, "丙", D(2011, 3, 1), D(2011, 3, 31)),
        ],
    )
    assert any("“甲”" in p and "“丙”" in p and "日期重叠" in p for p in problems)


@pytest.mark.django_db
def test_phases_out_of_order(bare_campaign):
    problems = validate_phases(
        bare_campaign,
        [
            phase(bare_campaign, 1, "全面推进阶段", D(2010, 8, 1), D(2011, 6, 30)),
            phase(bare_campaign, 2, "动员部署阶段", D(2010, 5, 1), D(2010, 7, 31)),
        ],
    )
    assert problems == [
        "阶段顺序不对：第 2 个阶段“动员部署阶段”（2010年5月1日开始）"
        "早于排在它前面的第 1 个阶段“全面推进阶段”（2010年8月1日开始）"
    ]


@pytest.mark.django_db
def test_phase_outside_the_campaign(bare_campaign):
    problems = validate_phases(
        bare_campaign, [phase(bare_campaign, 1, "总结完善阶段", D(2012, 7, 1), D(2012, 12, 31))]
    )
    assert problems == [
        "阶段“总结完善阶段”（2012年7月1日至2012年12月31日）超出了活动的起止日期"
        "（2010年5月1日至2012年11月7日）"
    ]


@pytest.mark.django_db
def test_phase_ending_before_it_starts(bare_campaign):
    bad = phase(bare_campaign, 1, "第一阶段", D(2011, 7, 31), D(2010, 5, 21))
    assert validate_phases(bare_campaign, [bad]) == [
        "阶段“第一阶段”的结束日期（2010年5月21日）早于开始日期（2011年7月31日）"
    ]
    with pytest.raises(ValidationError) as excinfo:
        bad.full_clean()
    # On the end date only: no second, generic message from the database constraint.
    assert excinfo.value.message_dict == {
        "end_date": ["阶段“第一阶段”的结束日期（2010年5月21日）早于开始日期（2011年7月31日）"]
    }


@pytest.mark.django_db
def test_repeated_phase_position(bare_campaign):
    problems = validate_phases(
        bare_campaign,
        [
            phase(bare_campaign, 1, "甲", D(2010, 5, 1), D(2010, 6, 30)),
            phase(bare_campaign, 1, "乙", D(2010, 7, 1), D(2010, 8, 31)),
        ],
    )
    assert problems == ["阶段“甲”和“乙”的顺序号都是 1，顺序号不能重复"]


@pytest.mark.django_db
def test_phase_model_clean_checks_the_campaign_dates(bare_campaign):
    with pytest.raises(ValidationError, match="超出了活动的起止日期"):
        phase(bare_campaign, 1, "第一阶段", D(2010, 4, 1), D(2010, 6, 30)).full_clean()


# ------------------------------------------------------------------ rubrics


@pytest.mark.django_db
def test_weights_must_sum_to_the_rubric_total(bare_campaign):
    rubric = Rubric(campaign=bare_campaign, name="五个好", subject="organization", total_weight=100)
    assert validate_rubric(rubric, criteria(rubric, 20, 20, 20, 20, 20)) == []
    assert validate_rubric(rubric, criteria(rubric, 20, 20, 20, 20, 10)) == [
        "“五个好”各项权重合计 90，与总权重 100 不符（第1项 20、第2项 20、第3项 20、第4项 20、第5项 10）"
    ]


@pytest.mark.django_db
def test_a_rubric_needs_criteria_with_distinct_codes(bare_campaign):
    rubric = Rubric(campaign=bare_campaign, name="五带头", subject="member", total_weight=40)
    assert validate_rubric(rubric, []) == ["“五带头”还没有评价项目"]
    twice = criteria(rubric, 20, 20)
    twice[1].code = "1"
    assert validate_rubric(rubric, twice) == ["“五带头”中编号“1”重复"]


# ------------------------------------------------------------------ the campaign


@pytest.mark.django_db
def test_campaign_must_be_on_a_root_organisation(district):
    campaign = Campaign(
        organization=district.street,
        name="街道活动",
        start_date=D(2010, 5, 1),
        end_date=D(2010, 12, 31),
    )
    message = (
        "“第一街道党工委”不是根党组织（它的上级是“中共测试区委”）；"
        "活动只能建在没有上级组织的党组织（如区委）上"
    )
    assert campaign_problems(campaign) == [message]
    with pytest.raises(ValidationError) as excinfo:
        campaign.full_clean()
    assert excinfo.value.message_dict == {"organization": [message]}


@pytest.mark.django_db
def test_campaign_ending_before_it_starts(district):
    campaign = Campaign(
        organization=district.root, name="倒置", start_date=D(2012, 1, 1), end_date=D(2011, 1, 1)
    )
    message = "活动的结束日期（2011年1月1日）早于开始日期（2012年1月1日）"
    assert campaign_problems(campaign) == [message]
    with pytest.raises(ValidationError) as excinfo:
        campaign.full_clean()
    assert excinfo.value.message_dict == {"end_date": [message]}


@pytest.mark.django_db
def test_a_campaign_goes_active_only_with_both_kinds_of_rubric(bare_campaign):
    bare_campaign.status = Campaign.Status.ACTIVE
    assert campaign_problems(bare_campaign) == [
        "活动设为“进行中”之前，须先配置党组织和党员的评价标准"
    ]
    Rubric.objects.create(campaign=bare_campaign, name="五个好", subject="organization")
    assert campaign_problems(bare_campaign) == ["活动设为“进行中”之前，须先配置党员的评价标准"]
    Rubric.objects.create(campaign=bare_campaign, name="五带头", subject="member")
    assert campaign_problems(bare_campaign) == []

    new = Campaign(
        organization=bare_campaign.organization,
        name="新活动",
        start_date=D(2013, 1, 1),
        end_date=D(2013, 12, 31),
        status=Campaign.Status.ACTIVE,
    )
    assert campaign_problems(new) == [
        "新建的活动请先设为“筹备”，配置好党组织和党员的评价标准后再改为“进行中”"
    ]


@pytest.mark.django_db
def test_contact_point_must_be_in_the_campaigns_tree(bare_campaign, district):
    leader = UserFactory()
    elsewhere = OrganizationFactory(code="OTHER", name="别区党支部")
    point = ContactPoint(campaign=bare_campaign, leader=leader, organization=elsewhere)
    with pytest.raises(ValidationError) as excinfo:
        point.full_clean()
    assert excinfo.value.message_dict == {
        "organization": ["联系点“别区党支部”不在本活动的党组织（中共测试区委）之下"]
    }
    ContactPoint(campaign=bare_campaign, leader=leader, organization=district.branch).full_clean()


@pytest.mark.django_db
def test_configuration_problems_cover_what_is_saved(bare_campaign):
    Phase.objects.create(
        campaign=bare_campaign,
        position=1,
        name="甲",
        start_date=D(2010, 5, 1),
        end_date=D(2011, 5, 1),
    )
    Phase.objects.create(
        campaign=bare_campaign,
        position=2,
        name="乙",
        start_date=D(2011, 1, 1),
        end_date=D(2011, 12, 1),
    )
    rubric = Rubric.objects.create(campaign=bare_campaign, name="五个好", subject="organization")
    Criterion.objects.bulk_create(criteria(rubric, 50, 40))
    problems = campaign_configuration_problems(bare_campaign)
    assert len(problems) == 2
    assert "日期重叠" in problems[0] and "权重合计 90" in problems[1]
