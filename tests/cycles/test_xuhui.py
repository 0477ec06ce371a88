"""Seed 000 (徐委组〔2010〕30号, 建功世博会、奉献在徐汇): the whole cycle on its
own shape: one phase over the Expo, 讲评 every quarter (members by their
branch, then branches by the committee above), three award moments (七一, 十一,
世博会结束集中表彰) and the 红旗党组织 / 优秀共产党员 awarded at the last one."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from awards.models import AwardCategory, AwardRound, EligibilityRule
from campaign.models import Milestone
from core.models import Job
from reviews.models import Meeting, ReviewRound
from reviews.models_surveys import SurveySubject
from tests.cycles import harness as h

D = dt.date
PLAN = {
    "theme": "建功世博会、奉献在徐汇",
    "carriers": "世博志愿服务岗、党员先锋岗",
    "conditions": "“建功、奉献”红旗党组织“五个好”",
    "commitments": "世博期间为居民办好五件实事",
}
QUARTERS = ["2010年第二季度讲评", "2010年第三季度讲评"]
MOMENTS = ["2010年“七一”表彰", "2010年“十一”表彰", "世博会结束集中表彰"]
MEMBER_KIND, BRANCH_KIND = "季度讲评（党员）", "季度讲评（党支部）"


def test_xuhui_cycle(cycle_of):
    c = cycle_of("xuhui", D(2010, 6, 5))
    d = c.district

    # Configure: one phase over the whole Expo, quarterly 讲评 and three award moments.
    assert c.campaign.document_number == "徐委组〔2010〕30号"
    assert list(c.campaign.phases.values_list("name", flat=True)) == ["迎办世博全过程"]
    reviews_at = c.campaign.milestones.filter(kind=Milestone.Kind.REVIEW).order_by("date")
    assert [(m.name, m.date) for m in reviews_at] == [
        (QUARTERS[0], D(2010, 6, 30)),
        (QUARTERS[1], D(2010, 9, 30)),
    ]
    awards_at = c.campaign.milestones.filter(kind=Milestone.Kind.AWARD).order_by("date")
    assert [(m.name, m.date) for m in awards_at] == [
        (MOMENTS[0], D(2010, 7, 1)),
        (MOMENTS[1], D(2010, 10, 1)),
        (MOMENTS[2], D(2010, 10, 31)),
    ]
    for m in reviews_at:
        assert set(m.review_kinds.values_list("name", flat=True)) == {BRANCH_KIND, MEMBER_KIND}

    # Plans: the branch files with its committee, the community with the street.
    h.plan_file_and_accept(c, d.branch, "secretary", "community", PLAN)
    h.plan_file_and_accept(c, d.community, "community", "committee", PLAN)

    # A member pledges to the public for the Expo.
    h.pledge_publish(c, d.member, "世博期间每周到志愿服务站值守一次", D(2010, 10, 31))

    # 讲评, one round per kind each quarter, opened from the cadence.
    scored = {}
    for quarter, (day, branch_scores) in zip(
        QUARTERS,
        [
            (D(2010, 6, 25), {d.branch.pk: 18, d.sibling.pk: 15, c.third.pk: 17}),
            (D(2010, 9, 25), {d.branch.pk: 19, d.sibling.pk: 17, c.third.pk: 16}),
        ],
        strict=True,
    ):
        c.clock.set(day)
        rounds = {r.kind.name: r for r in h.rounds_open_at(c, c.milestone(quarter))}
        assert set(rounds) == {BRANCH_KIND, MEMBER_KIND}
        members, branches = rounds[MEMBER_KIND], rounds[BRANCH_KIND]
        assert members.period == branches.period == quarter.removesuffix("讲评")
        # The branch's 讲评会 (a 专题组织生活会 with residents invited), each
        # member's 陈述, the branch's 讲评 of each member; then the community's
        # 讲评 of its branches.
        meeting = reverse(
            "reviews:meeting", kwargs={"pk": members.pk, "organization_pk": d.branch.pk}
        )
        held = c.as_user("secretary").post(
            meeting,
            {
                "held_on": day.isoformat(),
                "place": "社区党员活动室",
                "attendees": "2",
                "public_attendees": "5",
                "minutes": "每名党员陈述本季度参加创先争优活动情况，群众代表参与评价。",
            },
        )
        assert held.status_code == 302, held.content.decode()[:2000]
        assert Meeting.objects.get(round=members, organization=d.branch).public_attendees == 5
        own = h.review_of(members, d.own_member)
        stated = c.as_user("member").post(
            reverse("reviews:statement", kwargs={"review_pk": own.pk}),
            {"text": f"{quarter.removesuffix('讲评')}带头参加世博志愿服务十次"},
        )
        assert h.messages_of(stated) == ["自评陈述已保存"]
        h.grid_submit(
            c, members, d.branch, "secretary", scores={d.member.pk: 18, d.own_member.pk: 16}
        )
        h.grid_submit(
            c,
            branches,
            d.community,
            "community",
            scores=branch_scores,
            opinions={d.sibling.pk: "党员活动阵地的公示内容陈旧"},
        )
        for round_ in (members, branches):
            h.round_close(c, round_)
        scored[quarter] = branches
        page = h.results_page(c, members)
        assert d.member.name in page and "90.00" in page and "好" in page
        assert h.review_of(members, d.own_member).grade == "较好"
    assert ReviewRound.objects.filter(campaign=c.campaign).count() == 4
    q2 = scored[QUARTERS[0]]
    assert {
        org: (h.review_of(q2, org).composite, h.review_of(q2, org).grade)
        for org in (d.branch, d.sibling, c.third)
    } == {
        d.branch: (Decimal("90.00"), "好"),
        d.sibling: (Decimal("75.00"), "一般"),
        c.third: (Decimal("85.00"), "较好"),
    }
    assert h.review_of(scored[QUARTERS[1]], d.branch).composite == Decimal("95.00")

    # 整改 from the committee's 讲评 opinion on the sibling branch, once published.
    h.round_publish(c, q2)
    # The quarter's 讲评报告 of the sibling branch, made by its job.
    with c.capture(execute=True):
        started = c.as_user("office").post(
            reverse("reviews:report_start", kwargs={"pk": q2.pk, "organization_pk": d.sibling.pk})
        )
    job = Job.objects.get(pk=started["Location"].rstrip("/").rsplit("/", 1)[-1])
    report = h.pdf_text(h.job_file(c.client, job))
    assert f"{d.sibling.name}2010年第二季度讲评（党支部）报告" in report
    assert "综合得分75.00分，等次为一般" in report and "党员活动阵地的公示内容陈旧" in report
    item = h.rectify_from(
        c,
        "review_opinion",
        h.review_of(q2, d.sibling).pk,
        opener="community",
        owner="sibling_secretary",
        verifier="community",
        description="更新党员活动阵地公示内容",
        due=D(2010, 10, 15),
        expect_in_finding="党员活动阵地的公示内容陈旧",
    )
    assert item.organization == d.sibling and item.review_round == q2

    # 群众评议 of the community's branches by residents with one-time codes.
    c.clock.set(D(2010, 9, 26))
    survey = h.survey_create(
        c, d.community, "2010年第三季度群众评议", D(2010, 9, 26), D(2010, 9, 30)
    )
    subject = SurveySubject.objects.get(survey=survey, organization=d.branch)
    *codes, spare = h.survey_codes(c, subject, 4)
    for code, answer in zip(codes, [[0, 0, 0], [0, 1, 0], [2, 0, 0]], strict=True):
        h.survey_answer(c, code, answer)
    assert h.answered(survey) == 3
    c.clock.set(D(2010, 10, 1))  # closed: the slip not used is answered no more
    late = c.as_user("anonymous").get(reverse("survey_code", args=[spare]))
    assert "评议已于 2010-09-30 截止" in late.content.decode()
    row = h.subject_row(h.survey_detail(c, survey), d.branch.name)
    assert "88.89%" in row and "未达标" in row  # 8 of 9 answers 满意 or 基本满意

    # Three award moments, three rounds; 世博会结束集中表彰 goes the whole way.
    categories = [
        ("“建功、奉献”红旗党组织", AwardCategory.Subject.ORGANIZATION, 4, "branches"),
        ("“建功、奉献”优秀共产党员", AwardCategory.Subject.MEMBER, 10, "members"),
    ]
    rounds = [h.award_round(c, m, categories) for m in awards_at]
    assert [(r.name, r.milestone.name) for r in rounds] == list(zip(MOMENTS, MOMENTS, strict=True))
    expo = rounds[2]
    flag, member_category = expo.categories.order_by("position")
    rule = EligibilityRule(category=flag, kind="score", min_score=Decimal("90"))
    rule.save()
    rule.review_rounds.set([q2, scored[QUARTERS[1]]])
    c.clock.set(D(2010, 9, 28))
    assert h.award_move(c, expo, "open")[-1] == "评选表彰已更新"
    refused, page = h.nominate(c, flag, d.community, "community", d.sibling)
    assert refused is None and "未达到综合得分不低于 90" in page
    red_flag, _ = h.nominate(c, flag, d.community, "community", d.branch)
    member, _ = h.nominate(c, member_category, d.community, "community", d.member)
    c.clock.set(D(2010, 10, 8))
    for nomination in (red_flag, member):
        h.endorse_and_vet(c, nomination)
    c.clock.set(D(2010, 10, 25))
    h.publicise_and_finalise(c, expo, D(2010, 10, 28))
    assert AwardRound.objects.get(pk=rounds[0].pk).state == AwardRound.State.DRAFT
    text = h.decision_pdf(c, expo)
    assert expo.decision_number in text and "2010年10月28日" in text
    assert d.branch.name in text and d.member.name in text
    assert "“建功、奉献”红旗党组织" in text and "“建功、奉献”优秀共产党员" in text
