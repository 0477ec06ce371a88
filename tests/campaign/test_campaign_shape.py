"""Campaigns as their documents write them (issue 9 §6): who takes part, what a
plan asks for, contact points from the data file, the campaign page, and the
demo re-dated to today."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaign import plans
from campaign.models import Campaign, ContactPoint, Phase, Plan, PlanSection
from campaign.seeds import add_months, seed_data, seed_names, shifted
from campaign.selectors import own_plans, plan_units_q, takes_part, units_without_plan
from campaign.services import CampaignDataError, campaign_load
from orgs.models import Organization
from tests.factories import sector

pytestmark = pytest.mark.django_db

D = dt.date

# A 机关 campaign (as 吴江's): only 机关 units file a plan, and the plan asks for
# 创先目标、重点任务、时间进度和具体措施 instead of the 四个明确.
JIGUAN = {
    "campaign": {
        "name": "机关创先争优活动",
        "start_date": "2010-06-01",
        "end_date": "2012-06-30",
        "status": "active",
    },
    "participation": {"sectors": ["机关"], "kinds": ["党支部", "general_branch"]},
    "plan_sections": [
        {"field": "theme", "label": "创先目标", "help_text": "本单位创先争优的目标"},
        {"field": "carriers", "label": "重点任务"},
        {"field": "schedule", "label": "时间进度"},
        {"field": "measures", "label": "具体措施", "required": False},
    ],
    "phases": [{"name": "全年", "start_date": "2010-06-01", "end_date": "2012-06-30"}],
    "rubrics": seed_data("licheng")["rubrics"],
}


@pytest.fixture
def jiguan(district):
    sector("机关")
    district.far_branch.sector = sector("机关")
    district.far_branch.save()
    return campaign_load(root=district.root, data=JIGUAN).campaign


def plan_url(name, campaign, unit):
    return reverse(
        f"campaign:{name}", kwargs={"campaign_pk": campaign.pk, "organization_pk": unit.pk}
    )


# ------------------------------------------------------------------ participation


def test_a_jiguan_campaign_asks_no_village_or_street_branch_for_a_plan(district, jiguan):
    units = set(Organization.objects.filter(plan_units_q(jiguan)).values_list("code", flat=True))
    assert units == {"R-S2-B1"}  # the one 机关 党支部; the 街道社区 branches and committees not
    assert not takes_part(jiguan, district.branch) and takes_part(jiguan, district.far_branch)
    office = district.users["office"]
    assert [u.code for u in units_without_plan(office, jiguan, None, None)] == ["R-S2-B1"]
    with pytest.raises(plans.PlanError) as refused:
        plans.plan_for(campaign=jiguan, organization=district.branch)
    assert str(refused.value) == (
        "“第一党支部”（街道社区·党支部）不在本次活动的参加范围内（领域：机关；组织类型：党总支、党支部）"
    )
    assert not Plan.objects.exists()


def test_the_branch_secretary_is_not_asked_for_a_plan_of_a_campaign_it_is_not_in(
    district, jiguan, login
):
    assert own_plans(district.users["secretary"]) == []
    client = login(district.users["secretary"])
    page = client.get(plan_url("plan_detail", jiguan, district.branch)).content.decode()
    assert "不在本次活动的参加范围内" in page and 'name="theme"' not in page
    response = client.post(plan_url("plan_edit", jiguan, district.branch), {"theme": "x"})
    assert not Plan.objects.exists() and response.status_code == 302


def test_participation_is_set_in_the_admin(district, login):
    from tests.campaign.test_admin import campaign_form

    client = login(district.users["admin"])
    data = campaign_form(client, district.root)
    data["participating_sectors"] = [str(sector("机关").pk)]
    data["participating_kinds"] = ["branch"]
    response = client.post(reverse("admin:campaign_campaign_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign.participating_kinds == ["branch"]
    assert list(campaign.participating_sectors.values_list("name", flat=True)) == ["机关"]
    assert campaign.participation_text() == "领域：机关；组织类型：党支部"


# ------------------------------------------------------------------ plan sections


def test_the_plan_form_uses_the_campaigns_sections_in_its_words(district, jiguan, login):
    client = login(district.users["committee"])  # the far branch is outside the committee
    client = login(district.users["office"])
    page = client.get(plan_url("plan_detail", jiguan, district.far_branch)).content.decode()
    labels = ["创先目标", "重点任务", "时间进度", "具体措施"]
    positions = [page.index(f">{label}<") for label in labels]
    assert positions == sorted(positions)
    assert "实践主题" not in page and 'name="conditions"' not in page
    assert "标 * 的栏目（创先目标、重点任务、时间进度）填写完整后方可报送" in page


def test_a_plan_without_a_required_section_is_not_filed_and_says_which(district, jiguan):
    office = district.users["office"]
    plan = plans.plan_for(campaign=jiguan, organization=district.far_branch)
    plan = plans.plan_save(plan=plan, user=office, theme="创一流服务", carriers="窗口提速")
    with pytest.raises(plans.PlanError) as refused:
        plans.plan_submit(plan=plan, user=office)
    assert str(refused.value) == "方案必填栏目未填写完整：时间进度"
    plans.plan_save(plan=plan, user=office, schedule="6月启动，年底总结")
    assert plans.plan_submit(plan=plan, user=office).state == Plan.State.SUBMITTED


def test_the_printed_plan_numbers_the_campaigns_sections(district, jiguan, login):
    plan = plans.plan_for(campaign=jiguan, organization=district.far_branch)
    plans.plan_save(plan=plan, user=district.users["office"], theme="创一流服务")
    page = (
        login(district.users["office"])
        .get(plan_url("plan_print", jiguan, district.far_branch))
        .content.decode()
    )
    assert "一、创先目标" in page and "四、具体措施" in page and "创一流服务" in page
    assert "实践主题" not in page


def test_a_campaign_without_sections_asks_for_the_four_clear(campaign):
    sections = plans.sections(campaign)
    assert [str(s.label) for s in sections if s.required] == [
        "实践主题",
        "活动载体",
        "创建条件",
        "承诺内容",
    ]
    assert not PlanSection.objects.filter(campaign=campaign).exists()


# ------------------------------------------------------------------ the data file


def test_bad_participation_sections_and_contact_points_are_all_named(district):
    data = JIGUAN | {
        "participation": {"sectors": ["机关", "军队"], "kinds": ["党小组"]},
        "plan_sections": [
            {"field": "theme", "label": "创先目标"},
            {"field": "theme", "label": "重点任务"},
            {"field": "summary", "label": "总结"},
        ],
        "contact_points": [
            {"leader": "nobody", "organization": "R-S1"},
            {"leader": "office", "organization": "NOWHERE"},
        ],
    }
    with pytest.raises(CampaignDataError) as bad:
        campaign_load(root=district.root, data=data)
    problems = bad.value.problems
    assert any(p.startswith("参加范围：没有领域“军队”") for p in problems)
    assert any(p.startswith("参加范围：没有组织类型“党小组”") for p in problems)
    assert any(p.startswith("第 3 个方案栏目：没有栏目“summary”") for p in problems)
    assert "方案栏目 theme 重复" in problems
    assert "第 1 个联系点：没有用户名为“nobody”的账号" in problems
    assert "第 2 个联系点：没有组织代码为“NOWHERE”的党组织" in problems
    assert not Campaign.objects.exists() and not ContactPoint.objects.exists()


def test_contact_points_load_from_the_data_file(district):
    data = JIGUAN | {
        "contact_points": [
            {"leader": "contact_leader", "organization": "R-S1-C1", "remark": "区委领导联系点"}
        ]
    }
    campaign = campaign_load(root=district.root, data=data).campaign
    point = ContactPoint.objects.get(campaign=campaign)
    assert point.leader == district.users["contact_leader"]
    assert point.organization == district.community and point.note == "区委领导联系点"


def test_a_contact_point_outside_the_campaigns_tree_is_refused(district):
    from tests.factories import OrganizationFactory

    elsewhere = OrganizationFactory(code="X", name="别区区委", parent=None)
    data = JIGUAN | {"contact_points": [{"leader": "contact_leader", "organization": "X"}]}
    with pytest.raises(CampaignDataError) as bad:
        campaign_load(root=district.root, data=data)
    assert bad.value.problems == [
        f"第 1 个联系点：“{elsewhere.name}”不在本活动的党组织（中共测试区委）之下"
    ]


def test_the_demo_file_extends_the_licheng_document(district):
    data = seed_data("fixtures/demo/minghu.json")
    assert "extends" not in data
    assert data["campaign"]["name"] == "深入开展创先争优争做明湖先锋活动"
    assert data["campaign"]["issuing_organ"] == "中共明湖区委组织部"
    assert data["phases"] == seed_data("licheng")["phases"]
    assert data["contact_points"] == [
        {"leader": "leader", "organization": "MH-Z01", "remark": "区委领导联系点：第1镇党委"}
    ]
    # The review kinds are the document's but for one thing: the demo publishes the
    # 党员民主评议's results to the public, so that /pingyi/ has something to show.
    base = seed_data("licheng")["review_kinds"]
    assert [k["name"] for k in data["review_kinds"]] == [k["name"] for k in base]
    for own, theirs in zip(data["review_kinds"], base, strict=True):
        changed = {key for key in own.keys() | theirs.keys() if own.get(key) != theirs.get(key)}
        assert changed == ({"publication"} if own["name"] == "党员民主评议" else set())
    assert data["review_kinds"][2]["publication"] == "public"


# ------------------------------------------------------------------ re-dating the demo


def test_add_months_keeps_month_ends():
    assert add_months(D(2010, 6, 30), 3) == D(2010, 9, 30)
    assert add_months(D(2010, 6, 30), 2) == D(2010, 8, 31)
    assert add_months(D(2010, 1, 31), 1) == D(2010, 2, 28)
    assert add_months(D(2010, 5, 15), 199) == D(2026, 12, 15)


@pytest.mark.parametrize("name", seed_names())
def test_every_seed_can_be_re_dated_into_each_of_its_phases(name):
    data = seed_data(name)
    today = D(2026, 12, 2)
    for n in range(1, len(data["phases"]) + 1):
        out = shifted(data, today, n)
        phase = out["phases"][n - 1]
        assert phase["start_date"] <= today.isoformat() <= phase["end_date"], (name, n)
        # Every date moved by the same whole number of quarters, and lengths kept.
        moved = dt.date.fromisoformat(out["campaign"]["start_date"])
        first = dt.date.fromisoformat(data["campaign"]["start_date"])
        months = (moved.year - first.year) * 12 + moved.month - first.month
        assert months % 3 == 0
    assert seed_data(name) == data  # the data file's dates are untouched


def test_milestone_names_are_re_read_from_their_new_dates():
    out = shifted(seed_data("licheng"), D(2026, 12, 2), 2)
    names = {m["date"]: m["name"] for m in out["milestones"] if "季度" in m["name"]}
    assert names["2026-12-31"] == "2026年第四季度党（工）委集中点评"
    assert names["2027-03-31"] == "2027年第一季度党（工）委集中点评"


def test_load_campaign_today_in_phase_puts_today_in_that_phase(district):
    for guidance in seed_data("licheng")["sector_guidance"]:
        sector(guidance["sector"])
    out = io.StringIO()
    call_command("load_campaign", "licheng", "--root", "R", "--today-in-phase", "2", stdout=out)
    campaign = Campaign.objects.get()
    phase = campaign.current_phase()
    assert phase is not None and phase.position == 2
    with pytest.raises(CommandError, match="没有第 7 个阶段（共 1 个）"):
        call_command("load_campaign", "xuhui", "--root", "R", "--today-in-phase", "7", stdout=out)


def test_seed_plans_makes_plans_in_every_state_through_the_workflow(district):
    from tests.factories import UserFactory

    UserFactory(username="root", is_superuser=True, is_staff=True)
    call_command("load_campaign", "licheng", "--root", "R", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_plans", "--root", "R", stdout=out)
    states = set(Plan.objects.values_list("state", flat=True))
    assert states == set(Plan.State.values), out.getvalue()
    assert Plan.objects.filter(state="returned").exclude(return_reason="").count() == (
        Plan.objects.filter(state="returned").count()
    )
    call_command("seed_plans", "--root", "R", stdout=out)  # a second run changes nothing
    assert "已有实施方案，跳过" in out.getvalue()


# ------------------------------------------------------------------ the campaign page


def test_the_campaign_page_marks_the_current_phase_and_an_as_of_day(district, campaign, login):
    client = login(district.users["office"])
    url = reverse("campaign:campaign_detail", kwargs={"pk": campaign.pk})
    page = client.get(url, {"as_of": "2011-03-15"}).content.decode()
    assert "2011年3月15日在“第二时段”（第 2 个阶段）之内" in page
    assert "历城先锋基层党组织“五个好”" in page and "带头学习提高" in page
    assert "和谐先锋" in page and "2011年“七一”表彰" in page
    page = client.get(url, {"as_of": "2013-01-01"}).content.decode()
    assert "2013年1月1日活动已经结束（2012年11月7日结束）" in page
    page = client.get(url, {"as_of": "2011-02-30"})
    assert page.status_code == 200
    assert "日期格式应为 YYYY-MM-DD，如 2011-03-15" in page.content.decode()


def test_a_day_between_phases_is_said_to_be_so(district, campaign, login):
    Phase.objects.filter(campaign=campaign, position=2).update(start_date=D(2011, 2, 1))
    client = login(district.users["office"])
    url = reverse("campaign:campaign_detail", kwargs={"pk": campaign.pk})
    page = client.get(url, {"as_of": "2011-01-10"}).content.decode()
    assert "2011年1月10日不在任何阶段之内（阶段之间的空档）" in page


def test_contact_points_show_to_reviewers_only(district, campaign, login):
    ContactPoint.objects.create(
        campaign=campaign, leader=district.users["contact_leader"], organization=district.community
    )
    url = reverse("campaign:campaign_detail", kwargs={"pk": campaign.pk})
    committee = login(district.users["office"]).get(url).content.decode()
    assert "联系点" in committee and "第一社区党委" in committee
    secretary = login(district.users["secretary"]).get(url).content.decode()
    assert "<h2>联系点</h2>" not in secretary


def test_the_menu_offers_the_campaign_page_to_all_but_members(district, campaign, login):
    link = reverse("campaign:campaign_list")
    menu = f'href="{link}"'
    assert menu in login(district.users["secretary"]).get(reverse("home")).content.decode()
    assert menu not in login(district.users["member"]).get(reverse("home")).content.decode()
    listing = login(district.users["secretary"]).get(link).content.decode()
    assert campaign.name in listing and "进行中" in listing


# ------------------------------------------------------------------ 报送 with unsaved edits


def test_submitting_with_unsaved_edits_saves_them_then_submits(district, campaign, login):
    client = login(district.users["secretary"])
    typed = {
        "theme": "争当和谐先锋",
        "carriers": "党员责任区",
        "conditions": "五个好",
        "commitments": "办好十件实事",
    }
    response = client.post(plan_url("plan_submit", campaign, district.branch), typed)
    assert response.status_code == 302
    plan = Plan.objects.get(campaign=campaign, organization=district.branch)
    assert plan.state == Plan.State.SUBMITTED and plan.commitments == "办好十件实事"


def test_a_refused_submission_keeps_what_was_typed(district, campaign, login):
    client = login(district.users["secretary"])
    typed = {"theme": "争当和谐先锋", "carriers": "党员责任区"}
    response = client.post(plan_url("plan_submit", campaign, district.branch), typed)
    plan = Plan.objects.get(campaign=campaign, organization=district.branch)
    assert plan.state == Plan.State.DRAFT and plan.carriers == "党员责任区"  # saved
    page = client.get(response["Location"]).content.decode()
    assert "方案必填栏目未填写完整：创建条件、承诺内容" in page
    assert "党员责任区" in page

    too_long = typed | {"theme": "长" * 201}
    response = client.post(plan_url("plan_submit", campaign, district.branch), too_long)
    assert response.status_code == 400
    assert "长" * 201 in response.content.decode()  # the text comes back as typed
    plan.refresh_from_db()
    assert plan.state == Plan.State.DRAFT and plan.theme == "争当和谐先锋"
