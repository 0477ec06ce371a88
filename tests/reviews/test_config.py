"""Review kinds are configuration: the rules refuse inconsistent set-ups with a
message naming what is wrong, in the admin and in the data files; the four seed
campaigns load the review kinds their documents describe."""

from decimal import Decimal

import pytest
from django.urls import reverse

from campaign.models import Rubric
from campaign.seeds import seed_data
from campaign.services import CampaignDataError, campaign_load
from reviews.models import GradeBand, KindEvaluator, ReviewKind
from reviews.rules import band_problems, evaluator_problems, kind_problems
from tests.factories import sector

pytestmark = pytest.mark.django_db


def bands(*rows):
    return [
        GradeBand(position=i, label=label, min_score=Decimal(score))
        for i, (label, score) in enumerate(rows, start=1)
    ]


def test_weights_must_sum_to_100_and_each_evaluator_fit_the_subject(campaign):
    kind = ReviewKind(campaign=campaign, name="民主评议", subject="member")
    rows = [
        KindEvaluator(evaluator="peer", weight=60),
        KindEvaluator(evaluator="upward", weight=30),
    ]
    assert evaluator_problems(kind, rows) == [
        "评议主体“下级评上级”不适用于评议党员",
        "各评议主体权重合计 90，应为 100（党员互评 60、下级评上级 30）",
    ]
    rows = [KindEvaluator(evaluator="peer", weight=50), KindEvaluator(evaluator="peer", weight=50)]
    assert evaluator_problems(kind, rows) == ["评议主体“党员互评”重复"]
    assert evaluator_problems(kind, []) == ["“民主评议”还没有评议主体"]


def test_grade_thresholds_must_descend_and_end_at_zero(campaign):
    kind = ReviewKind(campaign=campaign, name="讲评", subject="organization")
    assert band_problems(kind, bands(("好", 90), ("较好", 80), ("一般", 60), ("差", 0))) == []
    assert band_problems(kind, bands(("好", 80), ("较好", 85), ("差", 0))) == [
        "等次分数线须从高到低：“较好”（85）排在“好”（80）之后，分数线应更低"
    ]
    assert band_problems(kind, bands(("好", 90), ("差", 50))) == [
        "最后一个等次“差”的分数线应为 0，否则低于 50 分的对象没有等次"
    ]
    assert band_problems(kind, bands(("好", 90), ("好", 0))) == ["等次“好”重复"]
    assert band_problems(kind, bands(("好", 0))) == ["“讲评”至少要有两个等次"]


def test_a_kind_needs_a_rubric_of_its_subject(campaign):
    members = Rubric.objects.get(campaign=campaign, subject="member")
    kind = ReviewKind(campaign=campaign, name="讲评", subject="organization", rubric=members)
    assert kind_problems(kind) == [f"评议对象是党组织，评价标准“{members.name}”却是党员的评价标准"]
    assert [p.field for p in kind_problems(kind)] == ["rubric"]


@pytest.mark.parametrize(
    "name, expected",
    [
        # 000: quarterly 讲评 of members (self statement, branch, public) and of branches.
        (
            "xuhui",
            {
                "季度讲评（党员）": ("member", {"self": 0, "branch": 70, "public": 30}, 2),
                "季度讲评（党支部）": ("organization", {"self": 0, "parent": 80, "public": 20}, 2),
            },
        ),
        # 001: two-level 点评 (quarterly by unit leaders, half-yearly by district leaders).
        (
            "licheng",
            {
                "党（工）委季度点评": ("organization", {"leader": 100}, 10),
                "区委领导半年点评": ("organization", {"leader": 100}, 5),
                "党员民主评议": ("member", {"peer": 40, "branch": 30, "public": 30}, 0),
            },
        ),
        # 002: 组织点评、党员互评、群众评议、下级党组织评议上级党组织.
        (
            "fengnian",
            {
                "集中评议（党组织）": (
                    "organization",
                    {"parent": 40, "upward": 30, "public": 30},
                    1,
                ),
                "集中评议（党员）": ("member", {"peer": 50, "branch": 30, "public": 20}, 1),
            },
        ),
        # 003: yearly 民主评议 against the 五带头, 优秀/合格/基本合格/不合格.
        (
            "xinbei",
            {
                "年度民主评议（党员）": (
                    "member",
                    {"self": 0, "peer": 40, "branch": 30, "public": 30},
                    2,
                ),
                "领导点评": ("organization", {"leader": 60, "public": 40}, 2),
            },
        ),
    ],
)
def test_each_seed_loads_the_review_kinds_of_its_document(district, name, expected):
    for guidance in seed_data(name)["sector_guidance"]:
        sector(guidance["sector"])
    campaign = campaign_load(root=district.root, data=seed_data(name)).campaign
    got = {
        kind.name: (
            kind.subject,
            dict(kind.evaluators.values_list("evaluator", "weight")),
            kind.milestones.count(),
        )
        for kind in campaign.review_kinds.all()
    }
    assert got == expected
    for kind in campaign.review_kinds.all():
        assert kind.rubric.subject == kind.subject
        assert band_problems(kind, list(kind.grades.all())) == []


def test_xinbei_grades_are_the_yearly_review_ones(district):
    campaign = campaign_load(root=district.root, data=seed_data("xinbei")).campaign
    kind = campaign.review_kinds.get(name="年度民主评议（党员）")
    assert list(kind.grades.values_list("label", flat=True)) == [
        "优秀",
        "合格",
        "基本合格",
        "不合格",
    ]


def test_a_bad_review_kind_in_a_data_file_undoes_the_whole_load(district):
    data = seed_data("licheng")
    data["review_kinds"] = [
        {
            "name": "民主评议",
            "subject": "member",
            "rubric": "历城先锋共产党员“五带头”",
            "cadence": "没有这样的节点",
            "evaluators": [
                {"evaluator": "党员互评", "weight": 60},
                {"evaluator": "群众", "weight": 30},
            ],
            "grades": [{"label": "好", "min_score": 90}, {"label": "差", "min_score": 10}],
        }
    ]
    with pytest.raises(CampaignDataError) as bad:
        campaign_load(root=district.root, data=data)
    problems = bad.value.problems
    assert any(p.startswith("评议类型“民主评议”：没有评议主体“群众”") for p in problems)
    assert (
        "评议类型“民主评议”：最后一个等次“差”的分数线应为 0，否则低于 10 分的对象没有等次"
        in problems
    )
    assert "评议类型“民主评议”：没有名称含“没有这样的节点”的讲评评议时间节点" in problems
    from campaign.models import Campaign

    assert not Campaign.objects.exists() and not ReviewKind.objects.exists()


def admin_form(client, url):
    from tests.campaign.test_admin import read_form

    return read_form(client, url, "reviewkind")


def test_the_admin_refuses_weights_that_do_not_sum(district, campaign, login):
    client = login(district.users["admin"])
    url = reverse("admin:reviews_reviewkind_add")
    data = admin_form(client, url)
    rubric = Rubric.objects.get(campaign=campaign, subject="member")
    data.update(
        campaign=str(campaign.pk),
        name="民主评议",
        subject="member",
        rubric=str(rubric.pk),
        ballot="scores",
        min_evaluators="3",
        publication="unit",
        round_days="30",
        position="0",
    )
    from tests.campaign.test_admin import rows

    data.update(
        rows(
            "evaluators",
            [{"evaluator": "peer", "weight": 60}, {"evaluator": "branch", "weight": 30}],
        )
    )
    data.update(
        rows(
            "grades",
            [
                {"position": 1, "label": "好", "min_score": "90"},
                {"position": 2, "label": "差", "min_score": "0"},
            ],
        )
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert (
        "各评议主体权重合计 90，应为 100（党员互评 60、支部评议 30）" in response.content.decode()
    )
    assert not ReviewKind.objects.filter(name="民主评议").exists()
    data.update(
        rows(
            "evaluators",
            [{"evaluator": "peer", "weight": 70}, {"evaluator": "branch", "weight": 30}],
        )
    )
    response = client.post(url, data)
    assert response.status_code == 302
    kind = ReviewKind.objects.get(name="民主评议")
    assert dict(kind.evaluators.values_list("evaluator", "weight")) == {"peer": 70, "branch": 30}
