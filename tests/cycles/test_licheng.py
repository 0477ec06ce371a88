"""Seed 001 (历城先锋): the whole cycle on its own shape: three 时段, 点评 at two
levels (each 党（工）委 every quarter on the organisations below it, the
district's leaders every half year on the 党（工）委), 群众评议 on its three
questions, and the 2011年“七一”表彰 of its three categories: 先进基层党组织,
优秀共产党员 and 优秀党务工作者."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from awards import quotas
from awards.models import AwardCategory, Nomination
from campaign.models import Milestone
from orgs.models import Member
from reviews.models import ReviewRound
from reviews.models_surveys import DEFAULT_QUESTIONS, SurveySubject
from tests.cycles import harness as h

D = dt.date
PLAN = {
    "theme": "争做历城先锋",
    "carriers": "和谐先锋岗、党员服务队",
    "conditions": "历城先锋基层党组织“五个好”",
    "commitments": "为社区居民办好十件实事",
}
QUARTERLY, HALF_YEARLY = "党（工）委季度点评", "区委领导半年点评"
CATEGORIES = [
    ("先进基层党组织", AwardCategory.Subject.ORGANIZATION, 4, "branches"),
    ("优秀共产党员", AwardCategory.Subject.MEMBER, 10, "members"),
    ("优秀党务工作者", AwardCategory.Subject.PARTY_WORKER, 10, "members"),
]


def test_licheng_cycle(cycle_of):
    c = cycle_of("licheng", D(2010, 5, 20))
    d = c.district

    # Configure: three 时段; 点评 by each 党（工）委 quarterly, by the district half-yearly.
    assert list(c.campaign.phases.values_list("name", flat=True)) == [
        "第一时段",
        "第二时段",
        "第三时段",
    ]
    reviews_at = c.campaign.milestones.filter(kind=Milestone.Kind.REVIEW)
    quarterly = reviews_at.filter(review_kinds__name=QUARTERLY)
    half_yearly = reviews_at.filter(review_kinds__name=HALF_YEARLY)
    assert quarterly.count() == 10 and half_yearly.count() == 5
    assert {m.date for m in half_yearly} <= {m.date for m in quarterly}
    assert list(
        c.campaign.milestones.filter(kind=Milestone.Kind.AWARD).values_list("name", flat=True)
    ) == ["2011年“七一”表彰", "2012年“七一”专项表彰"]

    # Plans: the branch with its community, the street with the district.
    h.plan_file_and_accept(c, d.branch, "secretary", "community", PLAN)
    h.plan_file_and_accept(c, d.street, "committee", "office", PLAN)
    h.pledge_publish(c, d.member, "每月到结对困难户家中走访一次", D(2011, 6, 30))

    # 点评 at two levels at the end of June 2010: the district's leaders on the
    # 党（工）委 (street, street2), the 党（工）委 on the organisations below them.
    c.clock.set(D(2010, 6, 20))
    district_round = h.rounds_open_at(c, c.milestone("2010年上半年区委领导集中点评"))
    quarter_round = h.rounds_open_at(c, c.milestone("2010年第二季度党（工）委集中点评"))
    assert [r.kind.name for r in district_round] == [HALF_YEARLY]
    assert [r.kind.name for r in quarter_round] == [QUARTERLY]
    district_round, quarter_round = district_round[0], quarter_round[0]
    assert (district_round.period, quarter_round.period) == ("2010年上半年", "2010年第二季度")
    h.grid_submit(
        c,
        district_round,
        d.root,
        "office",
        grades={d.street.pk: "好", d.street2.pk: "较好"},
        opinions={d.street2.pk: "党员公开承诺的兑现情况跟踪不够"},
    )
    h.grid_submit(c, quarter_round, d.street, "committee", grades={d.community.pk: "较好"})
    h.grid_submit(
        c,
        quarter_round,
        d.community,
        "community",
        grades={d.branch.pk: "好", d.sibling.pk: "一般", c.third.pk: "较好"},
    )
    for round_ in (district_round, quarter_round):
        h.round_close(c, round_)
    street = h.review_of(district_round, d.street)
    assert (street.composite, street.grade) == (Decimal("95.00"), "好")  # 好 counts 95
    assert h.review_of(district_round, d.street2).grade == "较好"
    assert {
        org.name: h.review_of(quarter_round, org).grade
        for org in (d.community, d.branch, d.sibling, c.third)
    } == {"第一社区党委": "较好", "第一党支部": "好", "第二党支部": "一般", "第三党支部": "较好"}
    page = h.results_page(c, quarter_round)
    assert d.sibling.name in page and "70.00" in page
    # The district round publishes to the district, the quarterly one to the parent.
    assert (district_round.kind.publication, quarter_round.kind.publication) == (
        "district",
        "parent",
    )

    # 群众评议 on the document's three questions, with one-time codes.
    survey = h.survey_create(c, d.community, "2010年上半年群众评议", D(2010, 6, 20), D(2010, 6, 30))
    assert list(DEFAULT_QUESTIONS) == [
        "党性观念强不强",
        "联系服务群众够不够",
        "发挥先锋模范作用明显不明显",
    ]
    assert survey.questions == list(DEFAULT_QUESTIONS)
    subject = SurveySubject.objects.get(survey=survey, organization=d.branch)
    codes = h.survey_codes(c, subject, 3)
    form = c.as_user("anonymous").get(reverse("survey_code", args=[codes[0]])).content.decode()
    assert all(q in form for q in DEFAULT_QUESTIONS) and d.branch.name in form
    for code, answer, opinion in zip(
        codes,
        [[0, 0, 0], [0, 0, 1], [0, 1, 0]],
        ["", "希望党员多到小区走访", ""],
        strict=True,
    ):
        h.survey_answer(c, code, answer, opinion)
    c.clock.set(D(2010, 7, 1))
    row = h.subject_row(h.survey_detail(c, survey), d.branch.name)
    assert "100.00%" in row and "达标" in row and "未达标" not in row

    # 整改 from the residents' opinion, opened by the branch's community.
    item = h.rectify_from(
        c,
        "survey_opinion",
        subject.pk,
        opener="community",
        owner="secretary",
        verifier="community",
        description="建立党员定期走访小区制度",
        due=D(2010, 9, 30),
        expect_in_finding="希望党员多到小区走访",
    )
    assert item.organization == d.branch

    # 2011年“七一”表彰 of the three categories, one awardee in each.
    Member.objects.filter(pk=d.own_member.pk).update(is_party_worker=True)
    round_ = h.award_round(c, c.milestone("2011年“七一”表彰"), CATEGORIES)
    categories = list(round_.categories.order_by("position"))
    assert [(k.name, k.subject) for k in categories] == [(n, s) for n, s, *_ in CATEGORIES]
    page = c.as_user("office").get(reverse("awards:round_detail", args=[round_.pk]))
    assert all(name in page.content.decode() for name, *_ in CATEGORIES)
    # The office's totals handed down: the street's share to its one community.
    assert [quotas.quota_for(k, d.community) for k in categories] == [3, 8, 8]
    c.clock.set(D(2011, 5, 20))
    assert h.award_move(c, round_, "open")[-1] == "评选表彰已更新"
    subjects = [d.branch, d.member, d.own_member]
    made = []
    for category, subject_ in zip(categories, subjects, strict=True):
        nomination, problem = h.nominate(c, category, d.community, "community", subject_)
        assert nomination is not None, problem
        made.append(nomination)
    refused, page = h.nominate(c, categories[2], d.community, "community", d.sibling_member)
    assert refused is None and "未登记为党务工作者" in page
    c.clock.set(D(2011, 6, 5))
    for nomination in made:
        h.endorse_and_vet(c, nomination)
    c.clock.set(D(2011, 6, 20))
    h.publicise_and_finalise(c, round_, D(2011, 6, 28))
    assert set(Nomination.objects.filter(round=round_).values_list("state", flat=True)) == {
        "awarded"
    }
    text = h.decision_pdf(c, round_)
    assert round_.decision_number.replace(" ", "") in text and "2011年6月28日" in text
    for (name, *_), subject_ in zip(CATEGORIES, subjects, strict=True):
        assert name in text and subject_.name in text
    assert ReviewRound.objects.filter(campaign=c.campaign).count() == 2
