"""Seed 003 (新北区社会事业局党工委): the whole cycle on its own shape: four
阶段, the plan's 四个明确 (an empty one refused, naming it), the 年度民主评议
(members' 自评陈述 and their branch's scores; 领导点评 by grade from above),
群众满意率 against the 90 % target (a unit below it shown as not met and
refused for the 2012年“七一”专项表彰, which one above it receives)."""

import datetime as dt
from decimal import Decimal

from awards.models import AwardCategory, EligibilityRule
from campaign import plans
from campaign.models import Plan
from reviews.models import Statement
from reviews.models_surveys import SurveySubject
from tests.cycles import harness as h

D = dt.date
FOUR_CLEAR = {
    "theme": "办人民满意学校",
    "carriers": "党员示范岗、师德标兵评选",
    "conditions": "先进基层党组织“五个好”",
    "commitments": "每名党员教师结对帮扶两名学生",
}
MEMBER_KIND, LEADER_KIND = "年度民主评议（党员）", "领导点评"


def test_xinbei_cycle(cycle_of):
    c = cycle_of("xinbei", D(2010, 6, 10))
    d = c.district

    # Configure: 调查研究、公开承诺、领导点评、群众评议、评选表彰 over four 阶段.
    assert [(p.name, p.start_date, p.end_date) for p in c.campaign.phases.all()] == [
        ("动员部署阶段", D(2010, 5, 1), D(2010, 7, 31)),
        ("全面推进阶段", D(2010, 8, 1), D(2011, 6, 30)),
        ("深化提升阶段", D(2011, 7, 1), D(2012, 6, 30)),
        ("总结完善阶段", D(2012, 7, 1), D(2012, 11, 7)),
    ]
    # The plan asks for the 四个明确, each required.
    required = [(s.field, str(s.label)) for s in plans.sections(c.campaign) if s.required]
    assert required == [
        ("theme", "实践主题"),
        ("carriers", "活动载体"),
        ("conditions", "创建条件"),
        ("commitments", "承诺内容"),
    ]
    # An empty 活动载体 is refused by name, and nothing moves.
    client = c.as_user("secretary")
    client.post(h.plan_url("plan_edit", c, d.branch), FOUR_CLEAR | {"carriers": ""})
    refused = client.post(h.plan_url("plan_submit", c, d.branch))
    assert h.messages_of(refused)[-1] == "方案必填栏目未填写完整：活动载体"
    assert Plan.objects.get(campaign=c.campaign, organization=d.branch).state == Plan.State.DRAFT
    plan = h.plan_file_and_accept(c, d.branch, "secretary", "community", FOUR_CLEAR)
    assert plan.carriers == FOUR_CLEAR["carriers"]
    h.plan_file_and_accept(c, d.sibling, "sibling_secretary", "community", FOUR_CLEAR)
    h.pledge_publish(c, d.member, "每学期家访结对学生不少于四次", D(2010, 12, 31))

    # 2010年度民主评议: the member's 自评陈述, the branch's scores; 领导点评 from above.
    c.clock.set(D(2010, 12, 10))
    rounds = {r.kind.name: r for r in h.rounds_open_at(c, c.milestone("2010年度民主评议"))}
    assert set(rounds) == {MEMBER_KIND, LEADER_KIND}
    members, leaders = rounds[MEMBER_KIND], rounds[LEADER_KIND]
    assert members.period == leaders.period == "2010年度"
    own = h.review_of(members, d.own_member)
    stated = c.as_user("member").post(
        f"/reviews/subjects/{own.pk}/statement/", {"text": "一年来带头家访结对学生十二次"}
    )
    assert h.messages_of(stated) == ["自评陈述已保存"]
    assert Statement.objects.get(review=own).on_behalf is False
    h.grid_submit(c, members, d.branch, "secretary", scores={d.member.pk: 19, d.own_member.pk: 13})
    h.grid_submit(c, leaders, d.street, "committee", grades={d.community.pk: "好"})
    h.grid_submit(
        c,
        leaders,
        d.community,
        "community",
        grades={d.branch.pk: "好", d.sibling.pk: "一般", c.third.pk: "较好"},
        opinions={d.sibling.pk: "联系服务群众不够经常"},
    )
    for r in (members, leaders):
        h.round_close(c, r)
    assert {
        m.name: (h.review_of(members, m).composite, h.review_of(members, m).grade)
        for m in (d.member, d.own_member)
    } == {
        d.member.name: (Decimal("95.00"), "优秀"),
        d.own_member.name: (Decimal("65.00"), "基本合格"),
    }
    assert h.review_of(leaders, d.sibling).grade == "一般"
    h.round_publish(c, leaders)

    # 整改 from the 领导点评 on the sibling branch, through to 已核验.
    h.rectify_from(
        c,
        "leader_comment",
        h.review_of(leaders, d.sibling).pk,
        opener="community",
        owner="sibling_secretary",
        verifier="community",
        description="建立党员联系服务群众制度",
        due=D(2011, 3, 31),
        expect_in_finding="联系服务群众不够经常",
    )

    # 群众评议 against the 90 % target (the form's own default): the first branch
    # meets it, the second does not.
    survey = h.survey_create(c, d.community, "2010年度群众评议", D(2010, 12, 10), D(2010, 12, 20))
    assert survey.target == Decimal("90")
    answers = {
        d.branch: [[0, 0, 0], [0, 1, 0]],
        d.sibling: [[0, 0, 0], [2, 2, 2], [0, 1, 2], [1, 1, 1]],
    }
    for unit, given in answers.items():
        subject = SurveySubject.objects.get(survey=survey, organization=unit)
        for code, answer in zip(h.survey_codes(c, subject, len(given)), given, strict=True):
            h.survey_answer(c, code, answer)
    c.clock.set(D(2010, 12, 21))
    page = h.survey_detail(c, survey)
    assert "满意率目标 90%" in page
    first, second = h.subject_row(page, d.branch.name), h.subject_row(page, d.sibling.name)
    assert "100.00%" in first and "达标" in first and "未达标" not in first
    assert "66.67%" in second and "未达标" in second  # 8 of 12 answers

    # 2012年“七一”专项表彰: 满意率 at least 90 %, as the document asks.
    round_ = h.award_round(
        c,
        c.milestone("2012年“七一”专项表彰"),
        [
            ("先进基层党组织", AwardCategory.Subject.ORGANIZATION, 4, "branches"),
            ("优秀共产党员", AwardCategory.Subject.MEMBER, 10, "members"),
        ],
    )
    organizations, members_category = round_.categories.order_by("position")
    EligibilityRule.objects.create(
        category=organizations, kind="satisfaction", min_percent=Decimal("90")
    )
    c.clock.set(D(2012, 5, 25))
    h.award_move(c, round_, "open")
    refused, page = h.nominate(c, organizations, d.community, "community", d.sibling)
    assert refused is None and "群众满意率 66.67%，低于 90%" in page
    unit, problem = h.nominate(c, organizations, d.community, "community", d.branch)
    assert unit is not None, problem
    member, problem = h.nominate(c, members_category, d.community, "community", d.member)
    assert member is not None, problem
    c.clock.set(D(2012, 6, 5))
    for nomination in (unit, member):
        h.endorse_and_vet(c, nomination)
    c.clock.set(D(2012, 6, 18))
    h.publicise_and_finalise(c, round_, D(2012, 6, 28))
    text = h.decision_pdf(c, round_)
    assert round_.decision_number.replace(" ", "") in text and "2012年6月28日" in text
    assert d.branch.name in text and d.member.name in text and d.sibling.name not in text
