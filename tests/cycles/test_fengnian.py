"""Seed 002 (丰年村街): the whole cycle on its own shape: two 阶段, the 集中评议 at
建党89周年 in which the committee above scores its community (组织点评) and
the community's branches score the community (下级评上级, anonymous, counted
from three), 整改 from the branches' opinion taken to 已核验, and the 2011年
“七一”表彰 where a unit with an 整改 not yet verified cannot be nominated."""

import datetime as dt
from decimal import Decimal

from awards.models import AwardCategory, EligibilityRule
from campaign.models import Milestone
from reviews import rectify
from reviews.models import ScoreSheet
from reviews.models_surveys import SurveySubject
from tests.cycles import harness as h

D = dt.date
PLAN = {
    "theme": "社区党建“连心”品牌创建",
    "carriers": "党员连心服务队、居民议事会",
    "conditions": "先进基层党组织“五个好”",
    "commitments": "每名党员联系十户居民",
}
ORG_KIND, MEMBER_KIND = "集中评议（党组织）", "集中评议（党员）"
UPWARD_OPINION = "上级党组织到支部指导工作的次数偏少"


def test_fengnian_cycle(cycle_of):
    c = cycle_of("fengnian", D(2010, 6, 1))
    d = c.district

    # Configure: two 阶段; one 集中评议 for 建党89周年 with 下级评上级 among its forms.
    assert [(p.name, p.start_date, p.end_date) for p in c.campaign.phases.all()] == [
        ("第一阶段", D(2010, 5, 21), D(2011, 7, 31)),
        ("第二阶段", D(2011, 8, 1), D(2012, 7, 31)),
    ]
    evaluation = c.milestone("庆祝建党89周年集中评议")
    assert evaluation.kind == Milestone.Kind.REVIEW
    org_kind = evaluation.review_kinds.get(name=ORG_KIND)
    assert {(e.evaluator, e.weight) for e in org_kind.evaluators.all()} == {
        ("parent", 40),
        ("upward", 30),
        ("public", 30),
    }

    h.plan_file_and_accept(c, d.branch, "secretary", "community", PLAN)
    h.plan_file_and_accept(c, d.community, "community", "committee", PLAN)
    h.pledge_publish(c, d.member, "每周到联系户家中走访一次", D(2011, 6, 30))

    # The 集中评议: 组织点评 from above and 下级评上级 by the community's three branches.
    c.clock.set(D(2010, 6, 25))
    rounds = {r.kind.name: r for r in h.rounds_open_at(c, evaluation)}
    assert set(rounds) == {ORG_KIND, MEMBER_KIND}
    round_ = rounds[ORG_KIND]
    assert round_.period == "庆祝建党89周年集中评议"
    h.grid_submit(c, round_, d.street, "committee", scores={d.community.pk: 17})
    h.grid_submit(
        c,
        round_,
        d.community,
        "community",
        scores={d.branch.pk: 18, d.sibling.pk: 16, c.third.pk: 17},
    )
    for user, score, opinion in (
        ("secretary", 16, ""),
        ("sibling_secretary", 14, UPWARD_OPINION),
        ("third_secretary", 15, ""),
    ):
        unit = {"secretary": d.branch, "sibling_secretary": d.sibling}.get(user, c.third)
        h.upward_submit(c, round_, unit, user, score, opinion)
    community = h.review_of(round_, d.community)
    sheets = ScoreSheet.objects.filter(review=community, evaluator="upward")
    assert sorted(s.evaluator_key for s in sheets) == sorted(
        f"o{u.pk}" for u in (d.branch, d.sibling, c.third)
    )
    h.grid_submit(
        c, rounds[MEMBER_KIND], d.branch, "secretary", scores={d.member.pk: 18, d.own_member.pk: 17}
    )
    for r in rounds.values():
        h.round_close(c, r)
    community.refresh_from_db()
    # (40 × 85 + 30 × 75) / 70: the public's 30 not yet in; upward shown (3 branches).
    assert community.breakdown["upward"]["shown"] is True
    assert community.breakdown["upward"]["mean"] == "75.00"
    assert (community.composite, community.grade) == (Decimal("80.71"), "较好")
    h.round_publish(c, round_)
    page = h.results_page(c, round_, "committee")
    assert d.community.name in page and "80.71" in page

    # 整改 from the branches' finding about their committee, through to 已核验.
    item = h.rectify_from(
        c,
        "review_opinion",
        community.pk,
        opener="committee",
        owner="community",
        verifier="committee",
        description="建立党委委员联系支部制度，每月到支部指导一次",
        due=D(2010, 9, 30),
        expect_in_finding=UPWARD_OPINION,
    )
    assert item.organization == d.community and item.review_round == round_

    # 群众评议 of the street's units; the community's residents answer with codes.
    survey = h.survey_create(c, d.street, "建党89周年群众评议", D(2010, 6, 25), D(2010, 6, 30))
    assert SurveySubject.objects.filter(survey=survey).count() == 4
    subject = SurveySubject.objects.get(survey=survey, organization=d.community)
    for code, answer in zip(h.survey_codes(c, subject, 2), [[0, 0, 0], [1, 0, 1]], strict=True):
        h.survey_answer(c, code, answer)
    c.clock.set(D(2010, 7, 1))
    row = h.subject_row(h.survey_detail(c, survey), d.community.name)
    assert "100.00%" in row and "未达标" not in row

    # A branch told to rectify and not yet verified is not eligible.
    rectify.rectification_open(
        user=c.users["community"],
        campaign=c.campaign,
        organization=d.sibling,
        description="补齐组织生活会记录",
        due_on=D(2011, 8, 31),
        source_kind="manual",
    )
    round_ = h.award_round(
        c,
        c.milestone("2011年“七一”表彰"),
        [
            ("先进基层党组织", AwardCategory.Subject.ORGANIZATION, 4, "branches"),
            ("优秀共产党员", AwardCategory.Subject.MEMBER, 10, "members"),
        ],
    )
    organizations, members = round_.categories.order_by("position")
    EligibilityRule.objects.create(category=organizations, kind="rectification")
    c.clock.set(D(2011, 5, 25))
    h.award_move(c, round_, "open")
    refused, page = h.nominate(c, organizations, d.street, "committee", d.sibling)
    assert refused is None and "有尚未核验的整改事项" in page
    unit, problem = h.nominate(c, organizations, d.street, "committee", d.community)
    assert unit is not None, problem
    member, problem = h.nominate(c, members, d.community, "community", d.member)
    assert member is not None, problem
    c.clock.set(D(2011, 6, 5))
    for nomination in (unit, member):
        h.endorse_and_vet(c, nomination)
    c.clock.set(D(2011, 6, 20))
    h.publicise_and_finalise(c, round_, D(2011, 6, 29))
    text = h.decision_pdf(c, round_)
    assert round_.decision_number.replace(" ", "") in text and "2011年6月29日" in text
    assert d.community.name in text and d.member.name in text and d.sibling.name not in text
