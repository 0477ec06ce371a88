"""The four seed campaigns load as their documents describe them, and only once."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from campaign.models import Campaign, Criterion, Milestone, Phase, Rubric, SectorGuidance
from campaign.rules import campaign_configuration_problems
from campaign.seeds import seed_data, seed_names
from campaign.services import campaign_load

D = dt.date
FIVE_GOOD = ["领导班子好", "党员队伍好", "工作机制好", "工作业绩好", "群众反映好"]
FIVE_LEAD = ["带头学习提高", "带头争创佳绩", "带头服务群众", "带头遵纪守法", "带头弘扬正气"]

# What each document says, written out independently of the data files.
EXPECTED = {
    "xuhui": {
        "name": "“建功世博会、奉献在徐汇”红旗党组织、优秀共产党员创先争优活动",
        "document_number": "徐委组〔2010〕30号",
        "issuing_organ": "中共徐汇区委组织部",
        "dates": (D(2010, 5, 28), D(2010, 10, 31)),
        "phases": [("迎办世博全过程", D(2010, 5, 28), D(2010, 10, 31))],
        "rubrics": {
            "“建功、奉献”红旗党组织“五个好”": ("organization", 100, FIVE_GOOD),
            "“建功、奉献”红旗党组织争创条件": (
                "organization",
                60,
                ["组织领导有力", "工作开展有序", "实践检验有效"],
            ),
            "“建功、奉献”优秀共产党员“五带头”": ("member", 100, FIVE_LEAD),
            "“建功、奉献”优秀共产党员争创条件": (
                "member",
                60,
                ["岗位行动先锋", "服务群众先进", "志愿服务先行"],
            ),
        },
        "guidance": {
            "街道社区": "“双创”活动",
            "机关": "紧密结合实际，以多种形式积极参与",
            "事业单位": "紧密结合实际，以多种形式积极参与",
            "国有企业": "“四好”领导班子、“四强”党组织、“四优”共产党员",
            "非公有制企业": "紧密结合实际，以多种形式积极参与",
            "社会组织": "紧密结合实际，以多种形式积极参与",
        },
        "awards": [
            ("2010年“七一”表彰", D(2010, 7, 1)),
            ("2010年“十一”表彰", D(2010, 10, 1)),
            ("世博会结束集中表彰", D(2010, 10, 31)),
        ],
        "reviews": [D(2010, 6, 30), D(2010, 9, 30)],  # 每季度讲评
    },
    "licheng": {
        "name": "深入开展创先争优争做历城先锋活动",
        "document_number": "",
        "issuing_organ": "中共济南市历城区委办公室",
        "dates": (D(2010, 5, 1), D(2012, 11, 7)),
        "phases": [
            ("第一时段", D(2010, 5, 1), D(2010, 12, 31)),
            ("第二时段", D(2011, 1, 1), D(2011, 6, 30)),
            ("第三时段", D(2011, 7, 1), D(2012, 11, 7)),
        ],
        "rubrics": {
            "历城先锋基层党组织“五个好”": ("organization", 100, FIVE_GOOD),
            "历城先锋共产党员“五带头”": ("member", 100, FIVE_LEAD),
        },
        "guidance": {
            "农村": "带富先锋",
            "街道社区": "和谐先锋",
            "机关": "服务先锋",
            "事业单位": "敬业先锋",
            "非公有制企业": "兴业先锋",
            "社会组织": "兴业先锋",
        },
        "awards": [
            ("2011年“七一”表彰", D(2011, 6, 30)),
            ("2012年“七一”专项表彰", D(2012, 7, 1)),
        ],
        # 单位党（工）委每季度点评 (10 quarters) and 区委领导每半年点评 (5 halves).
        "reviews": sorted(
            [D(2010, 6, 30), D(2010, 9, 30), D(2010, 12, 31)]
            + [D(2011, 3, 31), D(2011, 6, 30), D(2011, 9, 30), D(2011, 12, 31)]
            + [D(2012, 3, 31), D(2012, 6, 30), D(2012, 9, 30)]
            + [D(2010, 6, 30), D(2010, 12, 31), D(2011, 6, 30), D(2011, 12, 31)]
            + [D(2012, 6, 30)]
        ),
    },
    "fengnian": {
        "name": "丰年村街深入开展创先争优活动",
        "document_number": "",
        "issuing_organ": "丰年村街道党工委",
        "dates": (D(2010, 5, 21), D(2012, 7, 31)),
        "phases": [
            ("第一阶段", D(2010, 5, 21), D(2011, 7, 31)),
            ("第二阶段", D(2011, 8, 1), D(2012, 7, 31)),
        ],
        "rubrics": {
            "先进基层党组织“五个好”": ("organization", 100, FIVE_GOOD),
            "优秀共产党员“五带头”": ("member", 100, FIVE_LEAD),
        },
        "guidance": {"街道社区": "社区党建“连心”品牌创建", "机关": "服务型机关创建"},
        "awards": [
            ("2011年“七一”表彰", D(2011, 6, 30)),
            ("2012年“七一”专项表彰", D(2012, 7, 1)),
        ],
        "reviews": [D(2010, 7, 1)],  # 结合庆祝建党89周年集中评议
    },
    "xinbei": {
        "name": "新北区社会事业局党工委深入开展创先争优活动",
        "document_number": "",
        "issuing_organ": "新北区社会事业局党工委",
        "dates": (D(2010, 5, 1), D(2012, 11, 7)),
        "phases": [
            ("动员部署阶段", D(2010, 5, 1), D(2010, 7, 31)),
            ("全面推进阶段", D(2010, 8, 1), D(2011, 6, 30)),
            ("深化提升阶段", D(2011, 7, 1), D(2012, 6, 30)),
            ("总结完善阶段", D(2012, 7, 1), D(2012, 11, 7)),
        ],
        "rubrics": {
            "先进基层党组织“五个好”": ("organization", 100, FIVE_GOOD),
            "优秀共产党员“五带头”": ("member", 100, FIVE_LEAD),
        },
        "guidance": {
            "机关": "学习先进找差距、改进作风促发展",
            "事业单位": "办人民满意学校",
            "社会组织": "新社会组织党建工作示范点",
        },
        "awards": [("2012年“七一”专项表彰", D(2012, 6, 30))],
        "reviews": [D(2010, 12, 31), D(2011, 12, 31)],  # 每年结合年度民主评议
    },
}


def load(name, root):
    return campaign_load(root=root, data=seed_data(name))


def test_every_seed_has_an_expectation():
    assert seed_names() == sorted(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_campaign_matches_its_document(name, district):
    expected = EXPECTED[name]
    result = load(name, district.root)
    assert result.created
    campaign = Campaign.objects.get(pk=result.campaign.pk)

    assert campaign.organization == district.root
    assert campaign.name == expected["name"]
    assert campaign.document_number == expected["document_number"]
    assert campaign.issuing_organ == expected["issuing_organ"]
    assert (campaign.start_date, campaign.end_date) == expected["dates"]
    assert campaign.status == Campaign.Status.ACTIVE

    phases = list(campaign.phases.values_list("position", "name", "start_date", "end_date"))
    assert phases == [(i, *p) for i, p in enumerate(expected["phases"], start=1)]

    rubrics = {
        r.name: (r.subject, r.total_weight, [c.title for c in r.criteria.all()])
        for r in campaign.rubrics.prefetch_related("criteria")
    }
    assert rubrics == expected["rubrics"]
    subjects = {subject for subject, _, _ in rubrics.values()}
    assert subjects == {Rubric.Subject.ORGANIZATION, Rubric.Subject.MEMBER}

    guidance = dict(campaign.sector_guidance.values_list("sector__name", "title"))
    assert guidance == expected["guidance"]

    awards = list(campaign.milestones.filter(kind=Milestone.Kind.AWARD).values_list("name", "date"))
    assert awards == expected["awards"]
    reviews = list(
        campaign.milestones.filter(kind=Milestone.Kind.REVIEW).values_list("date", flat=True)
    )
    assert reviews == expected["reviews"]

    assert campaign_configuration_problems(campaign) == []


@pytest.mark.django_db
def test_seed_texts_are_the_documents_wording(district):
    campaign = load("licheng", district.root).campaign
    rural = campaign.sector_guidance.get(sector__name="农村")
    assert "设岗定责、依岗承诺、党员示范户或联系户" in rural.requirements
    leadership = Criterion.objects.get(rubric__campaign=campaign, title="领导班子好")
    assert leadership.description.startswith("深入学习实践科学发展观")
    assert (leadership.weight, leadership.max_score) == (20, 20)
    xinbei = load("xinbei", district.root).campaign
    satisfaction = Criterion.objects.get(rubric__campaign=xinbei, title="群众反映好")
    assert "满意率达到90%以上" in satisfaction.description


@pytest.mark.django_db
def test_current_phase_follows_the_date(district):
    campaign = load("licheng", district.root).campaign
    assert campaign.current_phase(D(2010, 5, 1)).name == "第一时段"
    assert campaign.current_phase(D(2010, 12, 31)).name == "第一时段"
    assert campaign.current_phase(D(2011, 1, 1)).name == "第二时段"
    assert campaign.current_phase(D(2012, 11, 7)).name == "第三时段"
    assert campaign.current_phase(D(2012, 11, 8)) is None
    assert campaign.current_phase(D(2010, 4, 30)) is None


@pytest.mark.django_db
def test_all_four_seeds_can_share_one_root(district):
    for name in EXPECTED:
        load(name, district.root)
    assert Campaign.objects.filter(organization=district.root).count() == 4
    assert Phase.objects.count() == 1 + 3 + 2 + 4


@pytest.mark.django_db
def test_loading_twice_changes_nothing(district):
    out = io.StringIO()
    call_command("load_campaign", "licheng", "--root", district.root.code, stdout=out)
    assert "已在“中共测试区委”创建活动“深入开展创先争优争做历城先锋活动”" in out.getvalue()
    counts = [
        m.objects.count() for m in (Campaign, Phase, Rubric, Criterion, SectorGuidance, Milestone)
    ]

    out = io.StringIO()
    call_command("load_campaign", "licheng", "--root", district.root.code, stdout=out)
    assert "已有活动" in out.getvalue() and "未作改动" in out.getvalue()
    assert [
        m.objects.count() for m in (Campaign, Phase, Rubric, Criterion, SectorGuidance, Milestone)
    ] == counts
    assert counts[:2] == [1, 3]


@pytest.mark.django_db
def test_second_load_keeps_an_admins_edits(district):
    campaign = load("fengnian", district.root).campaign
    Phase.objects.filter(campaign=campaign, position=2).update(name="第二阶段（已调整）")
    again = load("fengnian", district.root)
    assert not again.created and again.campaign.pk == campaign.pk
    assert campaign.phases.get(position=2).name == "第二阶段（已调整）"


@pytest.mark.django_db
def test_command_refuses_a_non_root_organisation(district):
    with pytest.raises(CommandError, match="不是根党组织"):
        call_command("load_campaign", "xinbei", "--root", district.street.code)
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_command_names_unknown_seeds_and_organisations(district):
    with pytest.raises(
        CommandError, match="没有种子“shanghai”；可用：fengnian、licheng、xinbei、xuhui"
    ):
        call_command("load_campaign", "shanghai", "--root", district.root.code)
    with pytest.raises(CommandError, match="没有组织代码为“NOPE”的党组织"):
        call_command("load_campaign", "licheng", "--root", "NOPE")


@pytest.mark.django_db
def test_a_bad_data_file_writes_nothing(district, tmp_path):
    import json

    data = seed_data("xinbei")
    data["phases"][1]["start_date"] = "2010-07-15"  # into the 动员部署 stage
    data["rubrics"][0]["criteria"][0]["weight"] = 25
    data["milestones"][-1]["date"] = "2013-06-30"  # after the campaign
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("load_campaign", str(path), "--root", district.root.code)
    message = str(excinfo.value)
    assert "阶段“动员部署阶段”（2010年5月1日至2010年7月31日）与阶段“全面推进阶段”" in message
    last = data["milestones"][-1]["name"]
    assert (
        f"时间节点“{last}”（2013年6月30日）不在活动的起止日期（2010年5月1日至2012年11月7日）之内"
        in message
    )
    assert not Campaign.objects.exists() and not Phase.objects.exists()
