"""What every seed's cycle test shares: a small district with a user per role,
a clock the cycle moves through the campaign's own dates, and one helper per
step of the cycle, each driven through the pages a user would use (the Django
test client) and checked as it goes.

The district is ``tests.factories.make_district`` (root ─ street ─ community ─
branch / sibling; root ─ street2 ─ far_branch) with a third branch under the
community, so the community has three branches below it (the seeds' anonymous
evaluators count only from three), and a member of staff of the community
(``community``), who files its plan, nominates and answers for its 整改.
"""

import datetime as dt
import io
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from awards import publicity, quotas
from awards.models import AwardCategory, AwardRound, Nomination
from campaign.models import Campaign, Milestone, Plan
from campaign.seeds import seed_data
from core.models import Job
from orgs.models import Member, Organization, Role
from pledges.models import Pledge
from reviews import sheets
from reviews.models import Review, ReviewRound
from reviews.models_rectify import Rectification
from reviews.models_surveys import Survey, SurveyResponse, SurveySubject
from tests.factories import (
    District,
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    grant,
    make_district,
    sector,
)

DEEDS = "该同志带头公开承诺并逐项兑现，帮助群众解决实际困难，所在党组织和群众评价较高。"
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{5}")


class Clock:
    """Today as the cycle has it (``timezone.localdate()`` with no argument);
    ``localdate(value)`` still converts ``value``. Times (``timezone.now``) stay
    real, except that the 公示 clock can be moved past its end."""

    def __init__(self, monkeypatch, today: dt.date):
        self.today = today
        self.later = dt.timedelta(0)
        real_localdate = timezone.localdate
        real_now = publicity.now

        def localdate(value=None, timezone=None):
            if value is None:
                return self.today
            return real_localdate(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)
        monkeypatch.setattr(publicity, "now", lambda: real_now() + self.later)

    def set(self, day: dt.date) -> None:
        self.today = day


@dataclass
class Cycle:
    seed: str
    district: District
    campaign: Campaign
    clock: Clock
    capture: Callable
    third: Organization
    third_member: Member
    users: dict[str, Any]
    client: Client = field(default_factory=Client)

    def as_user(self, key: str) -> Client:
        """The test client logged in as one of the district's users (by role key)."""
        self.client.logout()
        if key != "anonymous":
            self.client.force_login(self.users[key])
        return self.client

    def milestone(self, name: str) -> Milestone:
        return Milestone.objects.get(campaign=self.campaign, name=name)


def build(seed: str, monkeypatch, capture, today: dt.date) -> Cycle:
    """The district, the seed's data file loaded onto its root with the command
    an admin runs (``load_campaign NAME --root CODE``), and the clock at ``today``."""
    district = make_district()
    third = OrganizationFactory(
        code="R-S1-C1-B3", name="第三党支部", parent=district.community, sector=sector()
    )
    # The insert renumbered the tree: every unit held here is read again.
    for org in (third, *(v for v in vars(district).values() if isinstance(v, Organization))):
        org.refresh_from_db()
    third_member = MemberFactory(organization=third)
    users = dict(district.users)
    users["community"] = UserFactory(username="community_staff")
    grant(users["community"], Role.COMMITTEE_STAFF, district.community)
    users["third_secretary"] = UserFactory(username="third_secretary")
    grant(users["third_secretary"], Role.BRANCH_SECRETARY, third)
    for guidance in seed_data(seed)["sector_guidance"]:
        sector(guidance["sector"])
    call_command("load_campaign", seed, "--root", district.root.code, stdout=io.StringIO())
    campaign = Campaign.objects.get(organization=district.root)
    return Cycle(
        seed=seed,
        district=district,
        campaign=campaign,
        clock=Clock(monkeypatch, today),
        capture=capture,
        third=third,
        third_member=third_member,
        users=users,
    )


def messages_of(response) -> list[str]:
    """The messages a POST left for the page it redirects to."""
    if response.status_code == 302:
        response = response.client.get(response["Location"])
    return [str(m) for m in get_messages(response.wsgi_request)]


def pdf_text(data: bytes) -> str:
    """The text of a PDF as a reader copies it (poppler's pdftotext), spaces dropped."""
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode())


def job_file(client: Client, job: Job) -> bytes:
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    download = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    assert download.status_code == 200
    return b"".join(download.streaming_content)


# ------------------------------------------------------------------ plans


def plan_url(name: str, cycle: Cycle, unit: Organization) -> str:
    return reverse(
        f"campaign:{name}", kwargs={"campaign_pk": cycle.campaign.pk, "organization_pk": unit.pk}
    )


def plan_file_and_accept(
    cycle: Cycle, unit: Organization, filer: str, reviewer: str, values: dict[str, str]
) -> Plan:
    """实施方案 through the pages: saved and 报送 by the unit, 备案 by the one above."""
    client = cycle.as_user(filer)
    saved = client.post(plan_url("plan_edit", cycle, unit), values)
    assert saved.status_code == 302, saved.content.decode()[:1500]
    assert messages_of(client.post(plan_url("plan_submit", cycle, unit)))[-1] == (
        "方案已报送上级党组织"
    )
    client = cycle.as_user(reviewer)
    assert "同意备案" in client.get(plan_url("plan_detail", cycle, unit)).content.decode()
    assert messages_of(client.post(plan_url("plan_accept", cycle, unit))) == ["方案已备案"]
    plan = Plan.objects.get(campaign=cycle.campaign, organization=unit)
    assert plan.state == Plan.State.ACCEPTED and plan.reviewed_by == cycle.users[reviewer]
    return plan


# ------------------------------------------------------------------ pledges


def pledge_publish(cycle: Cycle, member: Member, content: str, due: dt.date) -> Pledge:
    """A member's 公开承诺 through the pages: entered by the branch's secretary on the
    member's behalf, submitted, approved by the committee above (another person),
    published; then read on the login-free board."""
    client = cycle.as_user("secretary")
    url = reverse("pledges:pledge_create") + f"?member={member.pk}"
    form = {
        "audience": "public",
        "member": member.pk,
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
        "items-0-content": content,
        "items-0-due_date": due.isoformat(),
        "items-0-verification": "群众评议",
    }
    created = client.post(url, form)
    assert created.status_code == 302, created.content.decode()[:1500]
    pledge = Pledge.objects.get(campaign=cycle.campaign, member=member)
    client.post(reverse("pledges:pledge_submit", args=[pledge.pk]))
    cycle.as_user("committee").post(reverse("pledges:pledge_approve", args=[pledge.pk]))
    cycle.as_user("secretary").post(reverse("pledges:pledge_publish", args=[pledge.pk]))
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.PUBLISHED
    board = cycle.as_user("anonymous").get(reverse("board", args=[member.organization.code]))
    assert board.status_code == 200
    assert content in board.content.decode() and member.name in board.content.decode()
    return pledge


# ------------------------------------------------------------------ review rounds


def rounds_open_at(cycle: Cycle, milestone: Milestone) -> list[ReviewRound]:
    """The office opens the milestone's rounds from the cadence page (one per kind)."""
    client = cycle.as_user("office")
    page = client.get(reverse("reviews:cadence", kwargs={"campaign_pk": cycle.campaign.pk}))
    assert milestone.name in page.content.decode()
    with cycle.capture(execute=True):
        opened = client.post(reverse("reviews:cadence_open", kwargs={"pk": milestone.pk}))
    assert opened.status_code == 302
    rounds = list(
        ReviewRound.objects.filter(milestone=milestone).select_related("kind").order_by("pk")
    )
    assert rounds and all(r.state == ReviewRound.State.OPEN for r in rounds)
    assert all(r.organization == cycle.district.root for r in rounds)
    return rounds


def grid_submit(
    cycle: Cycle,
    round_: ReviewRound,
    unit: Organization,
    user: str,
    *,
    scores: dict[int, Any] | None = None,
    grades: dict[int, str] | None = None,
    opinions: dict[int, str] | None = None,
) -> list[Review]:
    """A unit's grid through its page, submitted: every criterion of each subject
    scored ``scores[subject pk]`` (member or organisation pk), or (a kind voting
    by grade) the subject's grade ``grades[subject pk]``; opinions by subject."""
    reviews = list(sheets.grid_reviews(round_, unit))
    codes = list(round_.kind.rubric.criteria.values_list("code", flat=True))
    data: dict[str, Any] = {"submit": "1"}
    for review in reviews:
        subject = review.member_id or review.organization_id
        if grades is not None:
            data[f"g-{review.pk}"] = grades[subject]
        else:
            assert scores is not None
            data |= {f"s-{review.pk}-{code}": str(scores[subject]) for code in codes}
        if opinions and subject in opinions:
            data[f"o-{review.pk}"] = opinions[subject]
    url = reverse("reviews:grid", kwargs={"pk": round_.pk, "organization_pk": unit.pk})
    posted = cycle.as_user(user).post(url, data)
    assert posted.status_code == 302, posted.content.decode()[:2000]
    return reviews


def upward_submit(
    cycle: Cycle, round_: ReviewRound, unit: Organization, user: str, score: Any, opinion: str = ""
) -> None:
    """下级评上级 through its page: the unit's secretary scores the organisation
    above it on every criterion, with an opinion, and submits (anonymously)."""
    above = Review.objects.get(round=round_, organization_id=unit.parent_id, member__isnull=True)
    codes = round_.kind.rubric.criteria.values_list("code", flat=True)
    data = {f"s-{above.pk}-{code}": str(score) for code in codes} | {"submit": "1"}
    if opinion:
        data[f"o-{above.pk}"] = opinion
    url = reverse("reviews:upward", kwargs={"pk": round_.pk, "organization_pk": unit.pk})
    client = cycle.as_user(user)
    assert "下级评上级不记名" in client.get(url).content.decode()
    posted = client.post(url, data)
    assert posted.status_code == 302, posted.content.decode()[:2000]


def round_publish(cycle: Cycle, round_: ReviewRound, user: str = "office") -> ReviewRound:
    published = cycle.as_user(user).post(reverse("reviews:round_publish", kwargs={"pk": round_.pk}))
    assert messages_of(published)[-1] == "评议结果已公布"
    round_.refresh_from_db()
    assert round_.state == ReviewRound.State.PUBLISHED
    return round_


def round_close(cycle: Cycle, round_: ReviewRound, user: str = "office") -> ReviewRound:
    """结束 through the round's page; its results job runs (inline) on commit."""
    with cycle.capture(execute=True):
        closed = cycle.as_user(user).post(reverse("reviews:round_close", kwargs={"pk": round_.pk}))
    assert messages_of(closed)[-1] == "评议已结束，评分已锁定"
    round_.refresh_from_db()
    assert round_.state == ReviewRound.State.CLOSED
    return round_


def results_page(cycle: Cycle, round_: ReviewRound, user: str = "office") -> str:
    page = cycle.as_user(user).get(reverse("reviews:results", kwargs={"pk": round_.pk}))
    assert page.status_code == 200
    return page.content.decode()


def review_of(round_: ReviewRound, subject: Organization | Member) -> Review:
    if isinstance(subject, Member):
        return Review.objects.get(round=round_, member=subject)
    return Review.objects.get(round=round_, organization=subject, member__isnull=True)


# ------------------------------------------------------------------ surveys


def survey_create(
    cycle: Cycle, organization: Organization, title: str, opens: dt.date, closes: dt.date, **extra
) -> Survey:
    """群众评议 through its page, by the office, with the form's defaults unless given."""
    client = cycle.as_user("office")
    form = client.get(reverse("reviews:survey_new")).context["form"]
    values = {
        "campaign": cycle.campaign.pk,
        "organization": organization.pk,
        "title": title,
        "opens_on": opens.isoformat(),
        "closes_on": closes.isoformat(),
        "target": str(form.fields["target"].initial),
        "questions": "\n".join(Survey._meta.get_field("questions").get_default()),
    } | extra
    made = client.post(reverse("reviews:survey_new"), values)
    assert made.status_code == 302, made.content.decode()[:2000]
    return Survey.objects.get(campaign=cycle.campaign, title=title)


def survey_codes(cycle: Cycle, subject: SurveySubject, n: int) -> list[str]:
    """评议卡 for a subject through the page; the codes read off the slips' PDF."""
    client = cycle.as_user("office")
    with cycle.capture(execute=True):
        issued = client.post(reverse("reviews:survey_issue", args=[subject.pk]), {"size": str(n)})
    job = Job.objects.get(pk=issued["Location"].rstrip("/").rsplit("/", 1)[-1])
    text = pdf_text(job_file(client, job))
    codes = sorted(set(CODE.findall(text)))
    assert len(codes) == n, text[:500]
    return codes


def survey_answer(cycle: Cycle, code: str, answers: Iterable[int], opinion: str = "") -> str:
    """A visitor answers on the public page with a slip's code, without a login."""
    client = cycle.as_user("anonymous")
    url = reverse("survey_code", args=[code])
    assert client.get(url).status_code == 200
    data = {f"q{i}": str(a) for i, a in enumerate(answers)} | {"opinion": opinion}
    done = client.post(url, data)
    assert done.status_code == 200 and "感谢您的参与" in done.content.decode()
    return done.content.decode()


def survey_detail(cycle: Cycle, survey: Survey) -> str:
    page = cycle.as_user("office").get(reverse("reviews:survey_detail", args=[survey.pk]))
    assert page.status_code == 200
    return page.content.decode()


def subject_row(page: str, name: str) -> str:
    """The survey page's table row of one subject."""
    for row in page.split("<tr")[1:]:
        if name in row:
            return row.split("</tr>")[0]
    raise AssertionError(f"no row for {name}")


# ------------------------------------------------------------------ rectifications


def rectify_from(
    cycle: Cycle,
    kind: str,
    source_id: int,
    *,
    opener: str,
    owner: str,
    verifier: str,
    description: str,
    due: dt.date,
    expect_in_finding: str,
) -> Rectification:
    """整改 from a finding through the pages: opened from its source (the finding's
    words quoted), 开始整改, evidence and 整改完成, 核验 by the one above."""
    client = cycle.as_user(opener)
    url = reverse("reviews:rectify_open", kwargs={"kind": kind, "source_id": source_id})
    assert expect_in_finding in client.get(url).content.decode()
    opened = client.post(url, {"description": description, "due_on": due.isoformat()})
    assert opened.status_code == 302, opened.content.decode()[:2000]
    item = Rectification.objects.get(source_kind=kind, source_id=source_id)
    assert item.state == "pending" and expect_in_finding in item.source_text
    client = cycle.as_user(owner)
    client.post(reverse("reviews:rectify_start", kwargs={"pk": item.pk}))
    evidence = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4\n%%EOF\n")
    page = client.post(
        reverse("reviews:rectify_evidence", kwargs={"pk": item.pk}),
        {"evidence": f"已{description}", "evidence_files": [evidence], "complete": "1"},
        follow=True,
    ).content.decode()
    assert "已报告整改完成，等待上级核验" in page
    cycle.as_user(verifier).post(reverse("reviews:rectify_verify", kwargs={"pk": item.pk}))
    item.refresh_from_db()
    assert item.state == "verified"
    return item


# ------------------------------------------------------------------ awards


def award_round(
    cycle: Cycle,
    milestone: Milestone,
    categories: list[tuple[str, str, int, str]],
    *,
    name: str | None = None,
) -> AwardRound:
    """An award round at an award milestone, configured by the system admin on
    the admin's page (the round and its categories inline, checked by the
    models' rules), 推荐 closing a month before the moment; then each category's
    quota allocated by the office to the root's children and by the street to
    the community."""
    moment = milestone.date
    data: dict[str, Any] = {
        "campaign": cycle.campaign.pk,
        "milestone": milestone.pk,
        "name": name or milestone.name,
        "nomination_deadline": (moment - dt.timedelta(days=30)).isoformat(),
        "endorsement_deadline": (moment - dt.timedelta(days=20)).isoformat(),
        "review_deadline": (moment - dt.timedelta(days=10)).isoformat(),
        "publicity_days": "7",
        "categories-TOTAL_FORMS": str(len(categories)),
        "categories-INITIAL_FORMS": "0",
        "categories-MIN_NUM_FORMS": "0",
        "categories-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    for i, (label, subject, total, basis) in enumerate(categories):
        data |= {
            f"categories-{i}-position": str(i),
            f"categories-{i}-name": label,
            f"categories-{i}-subject": subject,
            f"categories-{i}-total_quota": str(total),
            f"categories-{i}-basis": basis,
            f"categories-{i}-minimum_per_child": "0",
        }
    saved = cycle.as_user("admin").post(reverse("admin:awards_awardround_add"), data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    round_ = AwardRound.objects.get(campaign=cycle.campaign, name=data["name"])
    assert round_.milestone == milestone and round_.state == AwardRound.State.DRAFT
    for category in round_.categories.order_by("position"):
        quotas.quota_allocate(
            user=cycle.users["office"], category=category, organization=cycle.district.root
        )
        quotas.quota_allocate(
            user=cycle.users["committee"], category=category, organization=cycle.district.street
        )
    return round_


def award_move(cycle: Cycle, round_: AwardRound, verb: str, **extra: str) -> list[str]:
    posted = cycle.as_user("office").post(
        reverse("awards:round_move", args=[round_.pk]), {"verb": verb, **extra}
    )
    return messages_of(posted)


def nominate(
    cycle: Cycle, category: AwardCategory, unit: Organization, user: str, subject: Any
) -> tuple[Nomination | None, str]:
    """择优推荐 through the page; the nomination, or None and the page's refusal."""
    url = reverse("awards:nominate", args=[category.pk, unit.pk])
    client = cycle.as_user(user)
    assert client.get(url).status_code == 200
    posted = client.post(
        url, {"subject": subject.pk, "summary": f"{subject.name}带头践诺", "deeds": DEEDS}
    )
    if posted.status_code != 302:
        return None, posted.content.decode()
    return Nomination.objects.get(pk=posted["Location"].rstrip("/").rsplit("/", 1)[-1]), ""


def endorse_and_vet(cycle: Cycle, nomination: Nomination) -> Nomination:
    """层层推荐 through the nomination's page, every level from the unit's parent
    to the root (the street's staff, then the office), then 复审通过."""
    move = reverse("awards:nomination_move", args=[nomination.pk])
    levels = [a for a in nomination.unit.get_ancestors(ascending=True)]
    for level in levels:
        user = "office" if level == cycle.district.root else "committee"
        cycle.as_user(user).post(move, {"verb": "endorse", "level": level.pk})
    nomination.refresh_from_db()
    assert nomination.state == Nomination.State.ENDORSED
    assert nomination.endorsements.count() == len(levels)
    cycle.as_user("office").post(move, {"verb": "vet"})
    nomination.refresh_from_db()
    assert nomination.state == Nomination.State.VETTED
    return nomination


def publicise_and_finalise(cycle: Cycle, round_: AwardRound, decided: dt.date) -> AwardRound:
    """公示 (the public page lists the nominees), an objection from a visitor,
    dismissed; 公示 over; 表彰 with the 成文日期 through the round's page."""
    assert award_move(cycle, round_, "publish")[-1] == "评选表彰已更新"
    round_.refresh_from_db()
    assert round_.state == AwardRound.State.PUBLICITY
    vetted = list(round_.nominations.filter(state=Nomination.State.VETTED))
    visitor = cycle.as_user("anonymous")
    public = visitor.get(reverse("award_public", args=[round_.pk])).content.decode()
    for nomination in vetted:
        assert nomination.subject_name in public
    visitor.post(
        reverse("award_objection", args=[round_.pk]),
        {"nomination": vetted[0].pk, "text": "事迹材料中的数字请核实", "contact": ""},
    )
    assert award_move(cycle, round_, "finalise", decision_date=decided.isoformat())[-1].startswith(
        "公示期至"
    )
    cycle.clock.later = dt.timedelta(days=round_.publicity_days, minutes=1)
    objection = round_.objections.get()
    cycle.as_user("office").post(
        reverse("awards:objection_resolve", args=[objection.pk]),
        {"decision": "dismiss", "reason": "经核实，数字与记录相符"},
    )
    # 表彰 is the award_finalise job, started by the click and run once it commits.
    with cycle.capture(execute=True):
        finalised = award_move(cycle, round_, "finalise", decision_date=decided.isoformat())
    assert finalised[-1] == "表彰已开始，在后台进行，完成后本页显示结果"
    round_.refresh_from_db()
    assert round_.state == AwardRound.State.FINISHED and round_.decision_date == decided
    assert round_.decision_number
    return round_


def decision_pdf(cycle: Cycle, round_: AwardRound) -> str:
    """The 表彰决定 made by its job from the round's page; its text."""
    client = cycle.as_user("office")
    with cycle.capture(execute=True):
        started = client.post(
            reverse("awards:round_document", args=[round_.pk]), {"kind": "decision"}
        )
    assert started.status_code == 302
    job = Job.objects.get(pk=started["Location"].rstrip("/").rsplit("/", 1)[-1])
    return pdf_text(job_file(client, job))


def answered(survey: Survey) -> int:
    return SurveyResponse.objects.filter(survey=survey).count()
