"""A fifth campaign, set up by the system administrator through the admin pages
alone, then run through its whole cycle on the product's own pages.

青石街道's “红色管家” campaign is none of the four seeds: a 街道党工委 as its
root, two phases, its own rubrics (“三个好” for organisations, “三带头” for
members), only the 街道社区 branches take part, its own plan sections, a
contact point, a review kind scored by the community committee, the
contact-point leader and the public's survey (50 : 20 : 30), and an award round
with its categories, quotas and 评选条件. The tree, the members, the users and
their grants are made in the admin too. Nothing is configured through a service
or the ORM: the database is only read, to check what the pages did (the
superuser who logs in to the admin is the one row made directly). Each admin
page is first sent with a mistake, which comes back named with nothing written.

Then each role does its part on its own pages: the branch files its plan and the
community accepts it; the branch's pledge is approved and shown on the public
board; a review round is opened, and the public answer the survey held for it
with the codes printed on the slips (read back from the PDF), which then
closes; its opinion becomes a rectification, done and verified; the round is
scored, closed and published; the
award round goes from 推荐 through 层层推荐, 复审 and 公示 to 表彰, and the
表彰决定 PDF names the awardees and carries the round's 文号.

The product's clock (``django.utils.timezone.now``) is moved from day to day so
that dates (deadlines, the survey's close, the end of 公示) pass as they would.
"""

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from awards.models import Award, AwardCategory, AwardRound, EligibilityRule, Nomination, Quota
from campaign.models import (
    Campaign,
    ContactPoint,
    Criterion,
    Milestone,
    Phase,
    Plan,
    PlanSection,
    Rubric,
    SectorGuidance,
)
from core.models import AuditEntry, DocumentNumber, Job
from orgs.models import Member, Organization, RoleGrant, Sector
from pledges.models import Pledge
from reviews.models import (
    GradeBand,
    KindEvaluator,
    Review,
    ReviewKind,
    ReviewRound,
    ScoreSheet,
)
from reviews.models_rectify import Rectification
from reviews.models_surveys import Survey, SurveyResponse, SurveySubject
from tests.campaign.test_admin import read_form

pytestmark = pytest.mark.django_db
D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
needs_poppler = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is not installed"
)


class Clock:
    """The product's "now": a fixed morning in Shanghai, moved on by the test."""

    def __init__(self, monkeypatch, day: dt.date):
        self.set(day)
        monkeypatch.setattr(timezone, "now", lambda: self.at)

    def set(self, day: dt.date, hour: int = 9) -> None:
        self.at = dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(
            dt.UTC
        )


class Admin:
    """The system administrator at the admin pages: every form is read from its
    page and posted back as a browser would, with the administrator's entries."""

    def __init__(self, user, capture):
        self.user, self.capture = user, capture

    def add(self, model: type, values: dict, inlines: dict | None = None):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        return self._post(url, opts.model_name, values, inlines)

    def change(self, obj, values: dict, inlines: dict | None = None):
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        return self._post(url, opts.model_name, values, inlines)

    def _post(self, url, model_name, values, inlines):
        self.client = Client()  # logged in afresh: the clock may have moved on
        self.client.force_login(self.user)
        data = read_form(self.client, url, model_name)
        for key, value in values.items():
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)
        for prefix, items in (inlines or {}).items():
            start = int(data.get(f"{prefix}-INITIAL_FORMS", "0"))
            for i, item in enumerate(items, start=start):
                for key, value in item.items():
                    name = f"{prefix}-{i}-{key}"
                    data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
            data[f"{prefix}-TOTAL_FORMS"] = str(start + len(items))
        with self.capture(execute=True):
            return self.client.post(url, data)

    def made(self, response, model: type):
        """The object a successful add made (the admin redirects to its list)."""
        assert response.status_code == 302, _errors(response)
        return model._default_manager.latest("pk")


def _errors(response) -> str:
    """The error lists of a refused admin page, for the assertion message."""
    page = response.content.decode()
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    return " | ".join(re.sub(r"<[^>]+>", "", f).strip() for f in found) or page[:3000]


def _refused(response, message: str, before: dict) -> None:
    """The admin page came back with ``message`` and wrote nothing: the models
    counted in ``before`` (``_counts``, taken before the page was posted) and the
    audit trail have no row more."""
    assert response.status_code == 200, response.status_code
    assert message in response.content.decode(), _errors(response)
    assert _counts(*before) == before


def _counts(*models: type) -> dict:
    """Rows of each model, and of the audit trail."""
    return {m: m._default_manager.count() for m in {*models, AuditEntry}}


def _all_added_in_the_admin(model: type) -> None:
    """Every row of ``model`` has its 新增 entry in the audit trail from 系统管理."""
    rows = {str(pk) for pk in model._default_manager.values_list("pk", flat=True)}
    logged = AuditEntry.objects.filter(
        model=model._meta.label_lower, action="create", source="admin"
    ).values_list("object_id", flat=True)
    assert rows and rows == set(logged), model


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


class Person:
    """A user of the product on its pages (logged in afresh, since the clock moves)."""

    def __init__(self, user, capture):
        self.user, self.capture = user, capture

    def client(self) -> Client:
        client = Client()
        client.force_login(self.user)
        return client

    def get(self, url, **params):
        response = self.client().get(url, params)
        assert response.status_code == 200, (url, response.status_code)
        return response.content.decode()

    def post(self, url, data=None, *, follow=False):
        """POST as the page's form does; ``follow`` to the page it redirects to
        (where the message is shown), else the redirect alone."""
        with self.capture(execute=True):
            return self.client().post(url, data or {}, follow=follow)


# ------------------------------------------------------------------ set-up in the admin


def _sector(admin: Admin, name: str) -> Sector:
    """The sector, added on its admin page if the data migration's rows are gone
    (a transactional test run earlier flushes them)."""
    found = Sector.objects.filter(name=name).first()
    if found is not None:
        return found
    return admin.made(admin.add(Sector, {"name": name, "position": 0}), Sector)


def _organization(admin: Admin, parent, code, name, kind, sector, **extra) -> Organization:
    values = {
        "code": code,
        "name": name,
        "kind": kind,
        "sector": sector.pk,
        "parent": parent.pk if parent else "",
        "is_active": "on",
        **extra,
    }
    response = admin.add(Organization, values)
    assert response.status_code == 302, _errors(response)
    return Organization.objects.get(code=code)


def _member(admin: Admin, organization, number, name, **extra) -> Member:
    values = {
        "number": number,
        "name": name,
        "gender": "female",
        "birth_date": "1980-05-01",
        "joined_on": "2005-07-01",
        "category": "full",
        "organization": organization.pk,
        **extra,
    }
    response = admin.add(Member, values)
    assert response.status_code == 302, _errors(response)
    return Member.objects.get(number=number)


def _user(admin: Admin, username: str, grants=()):
    response = admin.add(
        get_user_model(),
        {
            "username": username,
            "usable_password": "true",
            "password1": "qingshi-2025-pw",
            "password2": "qingshi-2025-pw",
        },
    )
    assert response.status_code == 302, _errors(response)
    user = get_user_model().objects.get(username=username)
    for role, organization in grants:
        response = admin.add(
            RoleGrant, {"user": user.pk, "role": role, "organization": organization.pk}
        )
        assert response.status_code == 302, _errors(response)
    return user


class World:
    """What the administrator set up, as read back from the database."""


def _set_up_tree(admin: Admin) -> World:
    """青石街道党工委 ─ 东湖社区党委 ─ 第一、第二党支部; 街道机关党支部 (机关, not taking part)."""
    w = World()
    street, office_sector = _sector(admin, "街道社区"), _sector(admin, "机关")
    before = _counts(Organization)
    response = admin.add(
        Organization,
        {
            "code": "QS",
            "name": "中共青石街道工作委员会",
            "kind": "working_committee",
            "sector": street.pk,
            "is_active": "on",
            "document_number_pattern": "青工委〔{year}〕号",
        },
    )
    _refused(response, "文号格式应含一个 {number}（顺序号），现有 0 个", before)
    w.root = _organization(
        admin,
        None,
        "QS",
        "中共青石街道工作委员会",
        "working_committee",
        street,
        short_name="青石街道党工委",
        issuing_organ="中共青石街道工作委员会",
        document_number_pattern="青工委〔{year}〕{number}号",
    )
    w.community = _organization(
        admin, w.root, "QS-DH", "中共东湖社区委员会", "committee", street, short_name="东湖社区党委"
    )
    w.branch = _organization(admin, w.community, "QS-DH-1", "东湖社区第一党支部", "branch", street)
    w.branch2 = _organization(admin, w.community, "QS-DH-2", "东湖社区第二党支部", "branch", street)
    w.organ_branch = _organization(
        admin, w.root, "QS-JG", "青石街道机关党支部", "branch", office_sector
    )
    before = _counts(Member)
    response = admin.add(
        Member,
        {
            "number": "QS0001",
            "name": "林晓梅",
            "gender": "female",
            "birth_date": "1990-05-01",
            "joined_on": "2005-07-01",
            "category": "full",
            "organization": w.branch.pk,
        },
    )
    _refused(response, "入党时未满 18 周岁", before)
    w.hero = _member(admin, w.branch, "QS0001", "林晓梅", is_party_worker="on")
    w.other = _member(admin, w.branch, "QS0002", "赵立新", category="probationary")
    w.far = _member(admin, w.branch2, "QS0003", "孙建华")
    w.cadre = _member(admin, w.organ_branch, "QS0004", "周文", gender="male")
    w.office = _user(admin, "qs_office", [("campaign_office", w.root)])
    w.committee = _user(admin, "qs_community", [("committee_staff", w.community)])
    w.secretary = _user(admin, "qs_secretary", [("branch_secretary", w.branch)])
    w.leader = _user(admin, "qs_leader")
    return w


def _campaign_entries(w: World) -> tuple[dict, dict]:
    """The campaign page's fields and its inline rows."""
    values = {
        "organization": w.root.pk,
        "name": "青石街道“红色管家”创先争优活动",
        "status": "draft",
        "document_number": "青工委〔2025〕3号",
        "issuing_organ": "中共青石街道工作委员会",
        "theme": "红色管家进小区，创先争优惠民生",
        "start_date": "2025-03-01",
        "end_date": "2025-12-31",
        "description": "社区党支部领办“红色管家”，年底评选表彰。",
        "participating_sectors": [Sector.objects.get(name="街道社区").pk],
        "participating_kinds": ["branch"],
    }
    inlines = {
        "phases": [
            {
                "position": 1,
                "name": "创建推进",
                "start_date": "2025-03-01",
                "end_date": "2025-08-31",
                "focus": "领办红色管家项目",
            },
            {
                "position": 2,
                "name": "评选表彰",
                "start_date": "2025-09-01",
                "end_date": "2025-12-31",
                "focus": "评议、整改、表彰",
            },
        ],
        "milestones": [
            {"date": "2025-06-30", "name": "年中讲评", "kind": "review"},
            {"date": "2025-09-30", "name": "国庆表彰", "kind": "award"},
        ],
        "plan_sections": [
            {"position": 1, "field": "theme", "label": "创建目标", "required": "on"},
            {"position": 2, "field": "measures", "label": "红色管家服务清单", "required": "on"},
            {"position": 3, "field": "schedule", "label": "时间进度", "help_text": "按月列出"},
        ],
        "sector_guidance": [
            {
                "sector": Sector.objects.get(name="街道社区").pk,
                "title": "红色管家先锋",
                "requirements": "党支部领办小区物业服务，每月收集居民诉求",
            }
        ],
        "contact_points": [
            {"leader": w.leader.pk, "organization": w.branch.pk, "note": "街道领导联系点"}
        ],
    }
    return values, inlines


RUBRICS = [
    ("三个好", "organization", 100, [("服务好", 50), ("管理好", 30), ("群众满意", 20)]),
    ("三带头", "member", 30, [("带头服务", 10), ("带头议事", 10), ("带头守纪", 10)]),
]


def _rubric(admin: Admin, w: World, name, subject, total, items):
    return admin.add(
        Rubric,
        {"campaign": w.campaign.pk, "name": name, "subject": subject, "total_weight": total},
        {
            "criteria": [
                {"position": i, "code": f"S{i}", "title": t, "weight": wt, "max_score": 10}
                for i, (t, wt) in enumerate(items, start=1)
            ]
        },
    )


def _review_kind(admin: Admin, w: World, evaluators: list[tuple[str, int]]):
    return admin.add(
        ReviewKind,
        {
            "campaign": w.campaign.pk,
            "name": "党组织年中讲评",
            "subject": "organization",
            "rubric": w.org_rubric.pk,
            "ballot": "scores",
            "min_evaluators": 1,
            "publication": "parent",
            "round_days": 10,
            "milestones": [w.campaign.milestones.get(kind="review").pk],
            "position": 1,
        },
        {
            "evaluators": [{"evaluator": e, "weight": n} for e, n in evaluators],
            "grades": [
                {"position": 1, "label": "好", "min_score": 85},
                {"position": 2, "label": "较好", "min_score": 70},
                {"position": 3, "label": "一般", "min_score": 0},
            ],
        },
    )


def _set_up_campaign(admin: Admin, w: World) -> None:
    """The campaign on its page with its inlines, its two rubrics on theirs, the
    review kind on its own, then 进行中. Each page is first sent with a mistake,
    which comes back named with nothing saved."""
    values, inlines = _campaign_entries(w)
    overlapping = dict(inlines, phases=[dict(inlines["phases"][0], end_date="2025-09-15")])
    overlapping["phases"].append(inlines["phases"][1])
    before = _counts(Campaign, Phase, Milestone, PlanSection, SectorGuidance, ContactPoint)
    _refused(
        admin.add(Campaign, values, overlapping),
        "阶段“创建推进”（2025年3月1日至2025年9月15日）与阶段“评选表彰”"
        "（2025年9月1日至2025年12月31日）日期重叠",
        before,
    )
    late = dict(inlines, milestones=[inlines["milestones"][0], dict(inlines["milestones"][1])])
    late["milestones"][1]["date"] = "2026-01-15"
    _refused(
        admin.add(Campaign, values, late),
        "时间节点“国庆表彰”（2026年1月15日）不在活动的起止日期（2025年3月1日至2025年12月31日）之内",
        before,
    )
    twice = dict(inlines, contact_points=inlines["contact_points"] * 2)
    twice["plan_sections"] = [*inlines["plan_sections"][:2], dict(inlines["plan_sections"][2])]
    twice["plan_sections"][2]["field"] = "theme"
    response = admin.add(Campaign, values, twice)
    _refused(response, "“栏目”有重复，每行应各不相同，请修改", before)
    _refused(response, "“联系领导”和“联系党组织”的组合有重复，每行应各不相同，请修改", before)
    w.campaign = admin.made(admin.add(Campaign, values, inlines), Campaign)

    name, subject, total, items = RUBRICS[0]
    before = _counts(Rubric, Criterion)
    short = [("服务好", 50), ("管理好", 30), ("群众满意", 10)]
    _refused(
        _rubric(admin, w, name, subject, total, short),
        "“三个好”各项权重合计 90，与总权重 100 不符（服务好 50、管理好 30、群众满意 10）",
        before,
    )
    for rubric in RUBRICS:
        response = _rubric(admin, w, *rubric)
        assert response.status_code == 302, _errors(response)
    w.org_rubric = Rubric.objects.get(campaign=w.campaign, subject="organization")

    before = _counts(ReviewKind, KindEvaluator, GradeBand)
    _refused(
        _review_kind(admin, w, [("parent", 70), ("leader", 20)]),
        "各评议主体权重合计 90，应为 100（上级党组织评议 70、领导点评 20）",
        before,
    )
    _refused(
        _review_kind(admin, w, [("branch", 70), ("leader", 30)]),
        "评议主体“支部评议”不适用于评议党组织",
        before,
    )
    w.kind = admin.made(
        _review_kind(admin, w, [("parent", 50), ("leader", 20), ("public", 30)]), ReviewKind
    )
    response = admin.change(w.campaign, {"status": "active"})
    assert response.status_code == 302, _errors(response)
    w.campaign.refresh_from_db()


@needs_poppler
def test_a_campaign_set_up_in_the_admin_runs_its_whole_cycle(
    monkeypatch, django_capture_on_commit_callbacks, django_user_model
):
    capture = django_capture_on_commit_callbacks
    clock = Clock(monkeypatch, D(2025, 3, 3))
    root_user = django_user_model.objects.create_superuser("sysadmin", password="x")
    admin = Admin(root_user, capture)

    w = _set_up_tree(admin)
    _set_up_campaign(admin, w)
    campaign = w.campaign
    assert campaign.status == "active" and campaign.organization == w.root
    assert [(p.name, p.start_date) for p in campaign.phases.all()] == [
        ("创建推进", D(2025, 3, 1)),
        ("评选表彰", D(2025, 9, 1)),
    ]
    assert list(campaign.plan_sections.values_list("field", "label", "required")) == [
        ("theme", "创建目标", True),
        ("measures", "红色管家服务清单", True),
        ("schedule", "时间进度", False),
    ]
    assert campaign.participating_kinds == ["branch"]
    assert ContactPoint.objects.get(campaign=campaign).organization == w.branch
    assert [(e.evaluator, e.weight) for e in w.kind.evaluators.order_by("evaluator")] == [
        ("leader", 20),
        ("parent", 50),
        ("public", 30),
    ]
    for model in (Organization, Member, RoleGrant, Campaign, Phase, Milestone, PlanSection):
        _all_added_in_the_admin(model)
    for model in (SectorGuidance, ContactPoint, Rubric, Criterion, ReviewKind, KindEvaluator):
        _all_added_in_the_admin(model)

    people = {
        name: Person(getattr(w, name), capture)
        for name in ("office", "committee", "secretary", "leader")
    }
    _plans(w, people)
    _pledge(w, people)
    clock.set(D(2025, 6, 1))
    w.round = _review_round_opened(w, people)
    subject, spare = _survey(w, people)
    clock.set(D(2025, 6, 16))
    _survey_closed_and_rectified(w, people, subject, spare, clock)
    _review_round_scored_and_closed(w, people, clock)
    clock.set(D(2025, 9, 1))
    _set_up_award_round(admin, w)
    _award_flow(w, people, clock)


def _plans(w: World, people: dict) -> None:
    """The branch files its plan in the campaign's own sections; the community
    accepts it. The 机关 branch is outside the 参加范围 and files none."""
    secretary, committee, office = people["secretary"], people["committee"], people["office"]
    args = {"campaign_pk": w.campaign.pk, "organization_pk": w.branch.pk}
    page = secretary.get(reverse("campaign:plan_detail", kwargs=args))
    assert "红色管家服务清单" in page and "时间进度" in page and "红色管家先锋" in page
    assert "实践主题" not in page  # the default sections are not this campaign's
    refused = secretary.post(
        reverse("campaign:plan_submit", kwargs=args), {"theme": "小区治理有序"}, follow=True
    )
    assert "方案必填栏目未填写完整：红色管家服务清单" in _messages(refused)
    assert Plan.objects.get(organization=w.branch).state == "draft"
    done = secretary.post(
        reverse("campaign:plan_submit", kwargs=args),
        {"theme": "小区治理有序", "measures": "楼道长制、居民议事会", "schedule": ""},
        follow=True,
    )
    assert "方案已保存并报送上级党组织" in _messages(done)
    missing = office.get(reverse("campaign:plan_list"), missing=1, campaign=w.campaign.pk)
    assert "东湖社区第二党支部" in missing and "青石街道机关党支部" not in missing
    assert "东湖社区第一党支部" not in missing
    accepted = committee.post(reverse("campaign:plan_accept", kwargs=args), follow=True)
    assert "方案已备案" in _messages(accepted)
    plan = Plan.objects.get(campaign=w.campaign, organization=w.branch)
    assert (plan.state, plan.reviewed_by, plan.measures) == (
        "accepted",
        w.committee,
        "楼道长制、居民议事会",
    )


def _pledge(w: World, people: dict) -> None:
    """The branch pledges to the public; the community approves, and the
    pledge appears on the login-free board."""
    secretary, committee = people["secretary"], people["committee"]
    response = secretary.post(
        reverse("pledges:pledge_create") + f"?organization={w.branch.pk}",
        {
            "audience": "public",
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "20",
            "items-0-content": "每月召开一次小区议事会",
            "items-0-due_date": "2025-08-31",
            "items-0-verification": "会议记录",
        },
        follow=True,
    )
    pledge = Pledge.objects.get(campaign=w.campaign, organization=w.branch)
    assert "承诺已保存为草稿，请提交审核" in _messages(response)
    secretary.post(reverse("pledges:pledge_submit", args=[pledge.pk]))
    approved = committee.post(reverse("pledges:pledge_approve", args=[pledge.pk]), follow=True)
    assert "已审核通过，可以公示" in _messages(approved)
    published = secretary.post(reverse("pledges:pledge_publish", args=[pledge.pk]), follow=True)
    assert "已公示，群众可在公示栏查看" in _messages(published)
    board = Client().get(reverse("board", args=[w.branch.code]))
    assert board.status_code == 200
    text = board.content.decode()
    assert "每月召开一次小区议事会" in text and "青石街道“红色管家”创先争优活动" in text


QUESTIONS = ["物业服务满不满意", "议事会开得好不好", "党员管家是否及时到场"]


def _survey(w: World, people: dict) -> tuple[SurveySubject, str]:
    """The office opens a 群众评议 of the units; the slips' codes, as printed in
    the PDF, are answered on the public page, each once."""
    office = people["office"]
    created = office.post(
        reverse("reviews:survey_new"),
        {
            "campaign": w.campaign.pk,
            "organization": w.root.pk,
            "title": "2025年年中群众评议",
            "subject_kind": "organizations",
            "round": w.round.pk,
            "opens_on": "2025-06-01",
            "closes_on": "2025-06-15",
            "target": "90",
            "questions": "\n".join(QUESTIONS),
        },
        follow=True,
    )
    survey = Survey.objects.get(campaign=w.campaign)
    assert "已建立群众评议，共 2 个评议对象；请为各评议对象发放评议码" in _messages(created)
    assert survey.round == w.round and "计入评议轮次" in created.content.decode()
    assert set(survey.subjects.values_list("organization__code", flat=True)) == {
        "QS-DH-1",
        "QS-DH-2",
    }
    subject = survey.subjects.get(organization=w.branch)
    issued = office.post(reverse("reviews:survey_issue", args=[subject.pk]), {"size": "4"})
    job = Job.objects.get(kind="survey_slips")
    assert job.status == Job.Status.SUCCEEDED, job.error
    codes = re.findall(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{5}", _pdf_text(office, job))
    codes = sorted(set(codes))
    assert len(codes) == 4, codes
    assert issued["Location"] == reverse("core:job_detail", kwargs={"pk": job.pk})
    visitor = Client()
    for code, answers, opinion in zip(
        codes[:3],
        [(0, 0, 0), (0, 1, 0), (1, 0, 0)],
        ["", "三号楼楼道灯坏了一个月没人修", ""],
        strict=True,
    ):
        url = reverse("survey_code", args=[code])
        form = visitor.get(url).content.decode()
        assert "东湖社区第一党支部" in form and QUESTIONS[0] in form
        data = {f"q{i}": str(a) for i, a in enumerate(answers)} | {"opinion": opinion}
        done = visitor.post(url, data)
        assert "感谢您的参与" in done.content.decode()
        again = visitor.post(url, data)
        assert "已经使用过" in again.content.decode()
    assert SurveyResponse.objects.filter(subject=subject).count() == 3
    return subject, codes[3]


def _pdf_text(person: Person, job: Job) -> str:
    download = person.client().get(reverse("core:job_download", kwargs={"pk": job.pk}))
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.startswith(b"%PDF")
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode()


def _survey_closed_and_rectified(
    w: World, people: dict, subject: SurveySubject, spare: str, clock
) -> None:
    """Past its closing day the survey takes no answers; the community turns the
    public's opinion into a rectification, which the branch completes with
    evidence and the community verifies."""
    committee, secretary = people["committee"], people["secretary"]
    late = Client().post(reverse("survey_code", args=[spare]), {"q0": "2", "q1": "2", "q2": "2"})
    assert "评议已于 2025-06-15 截止" in late.content.decode()
    assert SurveyResponse.objects.filter(subject=subject).count() == 3
    opinions = committee.get(reverse("reviews:survey_opinions", args=[subject.pk]))
    assert "三号楼楼道灯坏了一个月没人修" in opinions
    opened = committee.post(
        reverse("reviews:rectify_open", args=["survey_opinion", subject.pk]),
        {"description": "修复三号楼楼道灯，建立报修台账", "due_on": "2025-07-15"},
        follow=True,
    )
    item = Rectification.objects.get(campaign=w.campaign)
    assert "已向“东湖社区第一党支部”交办整改" in _messages(opened)
    assert (item.organization, item.source_kind, item.state) == (
        w.branch,
        "survey_opinion",
        "pending",
    )
    assert "三号楼楼道灯坏了一个月没人修" in item.source_text
    secretary.post(reverse("reviews:rectify_start", args=[item.pk]))
    done = secretary.post(
        reverse("reviews:rectify_evidence", args=[item.pk]),
        {"evidence": "楼道灯已修复，报修台账已建立", "complete": "1"},
        follow=True,
    )
    assert "已报告整改完成，等待上级核验" in _messages(done)
    clock.set(D(2025, 6, 20))
    committee.post(reverse("reviews:rectify_verify", args=[item.pk]))
    item.refresh_from_db()
    assert (item.state, item.evidence) == ("verified", "楼道灯已修复，报修台账已建立")


def _review_round_opened(w: World, people: dict) -> ReviewRound:
    """The office opens the 年中讲评 on the street: both 街道社区 branches are its
    subjects, the 机关 branch takes no part."""
    office = people["office"]
    created = office.post(
        reverse("reviews:round_new"),
        {
            "kind": w.kind.pk,
            "organization": w.root.pk,
            "period": "2025年年中",
            "opens_on": "2025-06-01",
            "closes_on": "2025-06-30",
        },
        follow=True,
    )
    round_ = ReviewRound.objects.get(kind=w.kind)
    assert "评议轮次已创建（筹备），开启后各评议对象即可评议" in _messages(created)
    opened = office.post(reverse("reviews:round_open", args=[round_.pk]), follow=True)
    assert "评议已开启" in _messages(opened)
    subjects = Review.objects.filter(round=round_).values_list("organization__code", flat=True)
    assert set(subjects) == {"QS-DH-1", "QS-DH-2"}
    return ReviewRound.objects.get(pk=round_.pk)


def _review_round_scored_and_closed(w: World, people: dict, clock) -> None:
    """The community scores both branches on its grid, the contact-point leader
    comments on the branch; at the close the composites weigh the community,
    the leader and the survey held for the round 50 : 20 : 30, graded by the
    kind's bands."""
    office, committee, leader = people["office"], people["committee"], people["leader"]
    round_ = w.round
    reviews = {r.organization: r for r in Review.objects.filter(round=round_)}

    grid = reverse("reviews:grid", kwargs={"pk": round_.pk, "organization_pk": w.community.pk})
    cells = re.findall(r'name="(s-(\d+)-(S\d))"', committee.get(grid))
    assert len(cells) == 6, cells
    parent_scores = {w.branch: {"S1": 9, "S2": 9, "S3": 9}, w.branch2: {"S1": 7, "S2": 7, "S3": 7}}
    data = {"submit": "1"}
    for name, review_pk, code in cells:
        unit = next(u for u, r in reviews.items() if r.pk == int(review_pk))
        data[name] = str(parent_scores[unit][code])
    committee.post(grid, data)
    assert ScoreSheet.objects.filter(review__round=round_, state="submitted").count() == 2

    comment = reverse("reviews:comment", kwargs={"pk": round_.pk})
    cells = re.findall(r'name="(s-(\d+)-(S\d))"', leader.get(comment))
    assert {int(pk) for _n, pk, _c in cells} == {reviews[w.branch].pk}
    data = {"submit": "1", f"o-{reviews[w.branch].pk}": "议事会常态化，居民认可"}
    data |= {name: {"S1": "10", "S2": "10", "S3": "8"}[code] for name, _pk, code in cells}
    commented = leader.post(comment, data, follow=True)
    assert "已提交对 1 个单位的点评" in _messages(commented)

    clock.set(D(2025, 7, 1))
    closed = office.post(reverse("reviews:round_close", args=[round_.pk]), follow=True)
    assert "评议已结束，评分已锁定" in _messages(closed)
    published = office.post(reverse("reviews:round_publish", args=[round_.pk]), follow=True)
    assert "评议结果已公布" in _messages(published)
    done = {r.organization: r for r in Review.objects.filter(round=round_)}
    # 服务好 50、管理好 30、群众满意 20, each out of 10: the community's 9s are 90,
    # the leader's 10/10/8 are 96; the nine answers (满意 100 ×7, 基本满意 80 ×2)
    # average 95.56; 50 : 20 : 30 gives 92.87. The second branch has neither a
    # 点评 nor answers: its composite is the community's 70 alone.
    public = done[w.branch].breakdown["public"]
    assert public["n"] == 3 and Decimal(public["mean"]) == Decimal("95.56")  # 3 visitors
    assert (done[w.branch].composite, done[w.branch].grade) == (Decimal("92.87"), "好")
    assert (done[w.branch2].composite, done[w.branch2].grade) == (Decimal("70.00"), "较好")
    page = committee.get(reverse("reviews:results", kwargs={"pk": round_.pk}))
    assert "92.87" in page and "东湖社区第一党支部" in page


DEEDS = "林晓梅同志牵头组建红色管家服务队，一年来为居民解决急难愁盼问题三十余件。"
UNIT_DEEDS = "第一党支部领办小区物业服务，建立楼道长制和居民议事会，群众满意率达到百分之百。"


def _award_round_entries(w: World) -> tuple[dict, dict]:
    values = {
        "campaign": w.campaign.pk,
        "milestone": w.campaign.milestones.get(kind="award").pk,
        "name": "2025年国庆表彰",
        "nomination_deadline": "2025-09-15",
        "endorsement_deadline": "2025-09-20",
        "review_deadline": "2025-09-25",
        "publicity_days": 5,
    }
    categories = [
        {
            "position": 1,
            "name": "先进基层党组织",
            "subject": "organization",
            "total_quota": 3,
            "basis": "branches",
            "minimum_per_child": 0,
        },
        {
            "position": 2,
            "name": "优秀党务工作者",
            "subject": "party_worker",
            "total_quota": 1,
            "basis": "members",
            "minimum_per_child": 0,
        },
    ]
    return values, {"categories": categories}


def _set_up_award_round(admin: Admin, w: World) -> None:
    """The award round with two categories on its page; each category's 评选条件
    on the category's page (the score rule names the review round just held).
    Deadlines out of order and rules that do not fit are refused first."""
    values, inlines = _award_round_entries(w)
    before = _counts(AwardRound, AwardCategory)
    _refused(
        admin.add(AwardRound, dict(values, review_deadline="2025-09-18"), inlines),
        "复审截止日期不能早于审核截止日期",
        before,
    )
    response = admin.add(AwardRound, values, inlines)
    w.award_round = admin.made(response, AwardRound)
    w.units_category = w.award_round.categories.get(subject="organization")
    w.workers_category = w.award_round.categories.get(subject="party_worker")
    before = _counts(EligibilityRule)
    _refused(
        admin.change(w.units_category, {}, {"rules": [{"position": 1, "kind": "score"}]}),
        "“评议得分或等次”条件须选择至少一个评议轮次",
        before,
    )
    _refused(
        admin.change(w.units_category, {}, {"rules": [{"position": 1, "kind": "full_member"}]}),
        "“仅限正式党员”只适用于表彰党员的项目",
        before,
    )
    response = admin.change(
        w.units_category,
        {},
        {
            "rules": [
                {"position": 1, "kind": "score", "review_rounds": [w.round.pk], "min_score": 85},
                {"position": 2, "kind": "satisfaction", "min_percent": 90},
                {"position": 3, "kind": "rectification"},
            ]
        },
    )
    assert response.status_code == 302, _errors(response)
    response = admin.change(
        w.workers_category, {}, {"rules": [{"position": 1, "kind": "full_member"}]}
    )
    assert response.status_code == 302, _errors(response)
    assert list(w.units_category.rules.values_list("kind", flat=True)) == [
        "score",
        "satisfaction",
        "rectification",
    ]
    assert list(EligibilityRule.objects.get(kind="score").review_rounds.all()) == [w.round]
    for model in (GradeBand, AwardRound, AwardCategory, EligibilityRule):
        _all_added_in_the_admin(model)


def _award_flow(w: World, people: dict, clock) -> None:
    office, committee, secretary = people["office"], people["committee"], people["secretary"]
    round_ = w.award_round
    round_move = reverse("awards:round_move", args=[round_.pk])
    opened = office.post(round_move, {"verb": "open"}, follow=True)
    assert "评选表彰已更新" in _messages(opened), _messages(opened)

    # 名额: the street hands both categories down; the community keeps its
    # 先进基层党组织 places and hands the 优秀党务工作者 one down to the branch.
    def quota(category, unit, action):
        url = reverse(f"awards:{action}", kwargs={"pk": category.pk, "organization_pk": unit.pk})
        return (office if unit == w.root else committee).post(url)

    quota(w.units_category, w.root, "quota_allocate")
    quota(w.workers_category, w.root, "quota_allocate")
    quota(w.units_category, w.community, "quota_keep")
    quota(w.workers_category, w.community, "quota_allocate")
    amounts = dict(
        Quota.objects.filter(category=w.units_category).values_list("organization__code", "amount")
    )
    assert amounts == {"QS": 3, "QS-DH": 2, "QS-JG": 1}  # two branches to one
    amounts = dict(
        Quota.objects.filter(category=w.workers_category).values_list(
            "organization__code", "amount"
        )
    )
    assert amounts["QS-DH"] == 1 and amounts["QS-DH-1"] == 1  # three members to one

    # The community nominates its branch; the second branch fails the rules.
    nominate = reverse(
        "awards:nominate", kwargs={"pk": w.units_category.pk, "organization_pk": w.community.pk}
    )
    refused = committee.post(
        nominate, {"subject": w.branch2.pk, "summary": "议事有序", "deeds": UNIT_DEEDS}, follow=True
    )
    assert refused.status_code == 400
    assert (
        "不符合评选条件：评议得分或等次——2025年年中党组织年中讲评70（较好），"
        "未达到综合得分不低于 85；群众满意率——尚无群众满意率测评结果"
    ) in refused.content.decode()
    committee.post(
        nominate, {"subject": w.branch.pk, "summary": "领办红色管家", "deeds": UNIT_DEEDS}
    )
    unit_nomination = Nomination.objects.get(category=w.units_category)
    nominate = reverse(
        "awards:nominate", kwargs={"pk": w.workers_category.pk, "organization_pk": w.branch.pk}
    )
    secretary.post(nominate, {"subject": w.hero.pk, "summary": "红色管家带头人", "deeds": DEEDS})
    worker_nomination = Nomination.objects.get(category=w.workers_category)
    assert (worker_nomination.member, unit_nomination.organization) == (w.hero, w.branch)

    # 层层推荐 up to the street, then 组织复审.
    clock.set(D(2025, 9, 18))
    move = "awards:nomination_move"
    committee.post(
        reverse(move, args=[worker_nomination.pk]), {"verb": "endorse", "level": w.community.pk}
    )
    for nomination in (unit_nomination, worker_nomination):
        office.post(reverse(move, args=[nomination.pk]), {"verb": "endorse", "level": w.root.pk})
    clock.set(D(2025, 9, 22))
    for nomination in (unit_nomination, worker_nomination):
        office.post(reverse(move, args=[nomination.pk]), {"verb": "vet"})
        nomination.refresh_from_db()
        assert nomination.state == "vetted", nomination.state
    published = office.post(round_move, {"verb": "publish"}, follow=True)
    assert "评选表彰已更新" in _messages(published), _messages(published)
    public = Client().get(reverse("award_public", args=[round_.pk])).content.decode()
    assert "林晓梅" in public and "东湖社区第一党支部" in public and "红色管家带头人" in public
    assert DEEDS not in public

    # Too early: 公示 runs five days.
    early = office.post(
        round_move, {"verb": "finalise", "decision_date": "2025-09-25"}, follow=True
    )
    assert "公示期至 2025-09-27 09:00 结束，结束后才能表彰" in _messages(early)
    assert AwardRound.objects.get(pk=round_.pk).state == "publicity"
    clock.set(D(2025, 9, 28))
    office.post(round_move, {"verb": "finalise", "decision_date": "2025-09-28"})
    round_.refresh_from_db()
    assert round_.state == "finished" and round_.decision_date == D(2025, 9, 28)
    assert round_.decision_number == "青工委〔2025〕1号"  # the root's pattern, its first this year
    assert set(Award.objects.filter(round=round_).values_list("category__name", flat=True)) == {
        "先进基层党组织",
        "优秀党务工作者",
    }

    started = office.post(reverse("awards:round_document", args=[round_.pk]), {"kind": "decision"})
    job = Job.objects.get(kind="award_decision")
    assert started["Location"] == reverse("core:job_detail", kwargs={"pk": job.pk})
    assert job.status == Job.Status.SUCCEEDED, job.error
    text = _pdf_text(office, job)
    flat = re.sub(r"\s+", "", text)
    assert round_.decision_number in flat
    assert "林晓梅" in flat and "东湖社区第一党支部" in flat
    assert "先进基层党组织" in flat and "优秀党务工作者" in flat
    assert "赵立新" not in flat and "东湖社区第二党支部" not in flat
    assert "中共青石街道工作委员会" in flat and "2025年9月28日" in flat
    assert DocumentNumber.objects.filter(text=round_.decision_number).count() == 1
