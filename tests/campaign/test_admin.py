"""A system administrator sets up a campaign through the admin pages alone.

The forms are read from the rendered pages and submitted as a browser would
(every field with its current value, inline management forms included), with
the administrator's entries filled in.
"""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from campaign.models import Campaign, ContactPoint, Milestone, Phase, Rubric, SectorGuidance
from campaign.rules import campaign_configuration_problems
from orgs.models import Sector

D = dt.date


class _FormReader(HTMLParser):
    """The fields a browser would submit from the page's main form."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.in_form = form_id, False
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form or "__prefix__" in (a.get("name") or ""):
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self.data[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self._select:
            if self._select not in self.data and self._first_option is not None:
                self.data[self._select] = self._first_option
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def read_form(client, url, model_name):
    response = client.get(url)
    assert response.status_code == 200, url
    reader = _FormReader(f"{model_name}_form")
    reader.feed(response.content.decode())
    return reader.data


def rows(prefix, items, start=0):
    """Inline rows ``items`` (dicts) as formset fields, and the new TOTAL_FORMS."""
    data = {}
    for i, item in enumerate(items, start=start):
        for key, value in item.items():
            data[f"{prefix}-{i}-{key}"] = str(value)
    data[f"{prefix}-TOTAL_FORMS"] = str(start + len(items))
    return data


# A fifth campaign, unlike the four seeds: five phases, monthly 讲评, a 4-item
# organisation rubric with unequal weights and a 6-item member rubric out of 60.
PHASES = [
    ("学习动员", D(2021, 3, 1), D(2021, 3, 31)),
    ("对标定位", D(2021, 4, 1), D(2021, 5, 15)),
    ("攻坚行动", D(2021, 5, 16), D(2021, 8, 31)),
    ("比学赶超", D(2021, 9, 1), D(2021, 11, 15)),
    ("总结表彰", D(2021, 11, 16), D(2021, 12, 31)),
]
MONTHLY = [D(2021, m, 28) for m in range(3, 13)]


def campaign_form(client, root, phases=PHASES, **values):
    data = read_form(client, reverse("admin:campaign_campaign_add"), "campaign")
    data.update(
        organization=str(root.pk),
        name="“奋进新征程、建功新时代”创先争优活动",
        document_number="明组〔2021〕8号",
        issuing_organ="中共明湖区委组织部",
        theme="奋进新征程、建功新时代",
        status=Campaign.Status.DRAFT,
        start_date="2021-03-01",
        end_date="2021-12-31",
        description="每月讲评一次，年底总结表彰。",
    )
    data.update(values)
    data.update(
        rows(
            "phases",
            [
                {"position": i, "name": n, "start_date": s, "end_date": e, "focus": f"{n}的重点"}
                for i, (n, s, e) in enumerate(phases, start=1)
            ],
        )
    )
    data.update(
        rows(
            "milestones",
            [{"date": d, "name": f"{d.month}月讲评", "kind": "review"} for d in MONTHLY]
            + [{"date": D(2021, 12, 20), "name": "年度表彰", "kind": "award"}],
        )
    )
    return data


@pytest.mark.django_db
def test_admin_sets_up_a_fifth_campaign_through_the_admin_pages(district, login):
    client = login(district.users["admin"])
    root = district.root

    data = campaign_form(client, root)
    data.update(
        rows(
            "sector_guidance",
            [
                {
                    "sector": Sector.objects.get(name="街道社区").pk,
                    "title": "红色物业先锋",
                    "requirements": "物业服务纳入社区党组织领导",
                },
                {
                    "sector": Sector.objects.get(name="非公有制企业").pk,
                    "title": "产业链党建先锋",
                    "requirements": "",
                },
            ],
        )
    )
    data.update(
        rows(
            "contact_points",
            [{"leader": district.users["committee"].pk, "organization": district.street.pk}],
        )
    )
    response = client.post(reverse("admin:campaign_campaign_add"), data)
    assert response.status_code == 302, response.content.decode()
    campaign = Campaign.objects.get()

    for name, subject, total, items in [
        (
            "“四个过硬”",
            "organization",
            100,
            [("政治过硬", 40), ("能力过硬", 30), ("作风过硬", 20), ("业绩过硬", 10)],
        ),
        (
            "“六个一”",
            "member",
            60,
            [
                (t, 10)
                for t in ("一次承诺", "一次服务", "一次讲评", "一次学习", "一次结对", "一次亮诺")
            ],
        ),
    ]:
        data = read_form(client, reverse("admin:campaign_rubric_add"), "rubric")
        data.update(campaign=str(campaign.pk), name=name, subject=subject, total_weight=str(total))
        data.update(
            rows(
                "criteria",
                [
                    {"position": i, "code": f"C{i}", "title": t, "weight": w, "max_score": 10}
                    for i, (t, w) in enumerate(items, start=1)
                ],
            )
        )
        response = client.post(reverse("admin:campaign_rubric_add"), data)
        assert response.status_code == 302, response.content.decode()

    # With both rubrics in place the campaign can start.
    change_url = reverse("admin:campaign_campaign_change", args=[campaign.pk])
    data = read_form(client, change_url, "campaign")
    assert data["phases-TOTAL_FORMS"] == "5" and data["rubrics-TOTAL_FORMS"] == "2"
    data["status"] = Campaign.Status.ACTIVE
    response = client.post(change_url, data)
    assert response.status_code == 302, response.content.decode()

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.organization == root and campaign.document_number == "明组〔2021〕8号"
    assert [(p.name, p.start_date, p.end_date) for p in campaign.phases.all()] == PHASES
    assert campaign.current_phase(D(2021, 6, 1)).name == "攻坚行动"
    assert (
        list(campaign.milestones.filter(kind=Milestone.Kind.REVIEW).values_list("date", flat=True))
        == MONTHLY
    )
    assert campaign.milestones.get(kind=Milestone.Kind.AWARD).name == "年度表彰"
    rubrics = {
        r.name: (r.subject, r.total_weight, [(c.title, c.weight) for c in r.criteria.all()])
        for r in campaign.rubrics.all()
    }
    assert rubrics["“四个过硬”"][2] == [
        ("政治过硬", 40),
        ("能力过硬", 30),
        ("作风过硬", 20),
        ("业绩过硬", 10),
    ]
    assert rubrics["“六个一”"][:2] == ("member", 60) and len(rubrics["“六个一”"][2]) == 6
    assert dict(campaign.sector_guidance.values_list("sector__name", "title")) == {
        "街道社区": "红色物业先锋",
        "非公有制企业": "产业链党建先锋",
    }
    point = ContactPoint.objects.get(campaign=campaign)
    assert (point.leader, point.organization) == (district.users["committee"], district.street)
    assert campaign_configuration_problems(campaign) == []


@pytest.mark.django_db
def test_overlapping_phases_come_back_with_the_reason_and_nothing_saved(district, login):
    client = login(district.users["admin"])
    overlapping = [
        ("第一阶段", D(2021, 3, 1), D(2021, 6, 30)),
        ("第二阶段", D(2021, 6, 1), D(2021, 12, 31)),
    ]
    response = client.post(
        reverse("admin:campaign_campaign_add"),
        campaign_form(client, district.root, phases=overlapping),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "阶段“第一阶段”（2021年3月1日至2021年6月30日）与阶段“第二阶段”（2021年6月1日至2021年12月31日）日期重叠"
        in page
    )
    assert not Campaign.objects.exists()
    assert not Phase.objects.exists() and not Milestone.objects.exists()


@pytest.mark.django_db
def test_admin_is_told_which_phase_lies_outside_the_campaign(district, login):
    client = login(district.users["admin"])
    late = [("第一阶段", D(2021, 3, 1), D(2022, 1, 31))]
    response = client.post(
        reverse("admin:campaign_campaign_add"), campaign_form(client, district.root, phases=late)
    )
    assert response.status_code == 200
    assert "阶段“第一阶段”（2021年3月1日至2022年1月31日）超出了活动的起止日期" in (
        response.content.decode()
    )
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_admin_cannot_put_a_campaign_on_a_street(district, login):
    client = login(district.users["admin"])
    response = client.post(
        reverse("admin:campaign_campaign_add"),
        campaign_form(client, district.root, organization=str(district.street.pk)),
    )
    assert response.status_code == 200
    assert "“第一街道党工委”不是根党组织" in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_admin_cannot_start_a_campaign_without_rubrics(district, login):
    client = login(district.users["admin"])
    response = client.post(
        reverse("admin:campaign_campaign_add"),
        campaign_form(client, district.root, status=Campaign.Status.ACTIVE),
    )
    assert response.status_code == 200
    assert "新建的活动请先设为“筹备”" in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_rubric_weights_that_do_not_add_up_are_refused(district, login):
    client = login(district.users["admin"])
    campaign = Campaign.objects.create(
        organization=district.root,
        name="测试活动",
        start_date=D(2021, 1, 1),
        end_date=D(2021, 12, 31),
    )
    data = read_form(client, reverse("admin:campaign_rubric_add"), "rubric")
    data.update(
        campaign=str(campaign.pk), name="五个好", subject="organization", total_weight="100"
    )
    data.update(
        rows(
            "criteria",
            [
                {"position": i, "code": str(i), "title": t, "weight": 20, "max_score": 20}
                for i, t in enumerate(["领导班子好", "党员队伍好", "工作机制好", "工作业绩好"], 1)
            ],
        )
    )
    response = client.post(reverse("admin:campaign_rubric_add"), data)
    assert response.status_code == 200
    assert "“五个好”各项权重合计 80，与总权重 100 不符" in response.content.decode()
    assert not Rubric.objects.exists()


@pytest.mark.django_db
def test_moving_the_campaign_dates_past_its_phases_is_refused(district, login):
    client = login(district.users["admin"])
    response = client.post(
        reverse("admin:campaign_campaign_add"), campaign_form(client, district.root)
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    change_url = reverse("admin:campaign_campaign_change", args=[campaign.pk])
    data = read_form(client, change_url, "campaign")
    data["end_date"] = "2021-10-31"
    response = client.post(change_url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "阶段“比学赶超”（2021年9月1日至2021年11月15日）超出了活动的起止日期" in page
    assert "阶段“总结表彰”" in page
    campaign.refresh_from_db()
    assert campaign.end_date == D(2021, 12, 31)
    assert SectorGuidance.objects.count() == 0
