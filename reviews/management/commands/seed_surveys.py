"""A demo 群众评议 for a district's running campaign: a survey of the units under
the first committee below the root that has some, codes issued to each, about
two thirds of them answered on the web (a few with opinions), and the paper
forms of a third of the units entered. Skipped when the campaign has a survey.

The demo's codes are answered here and then forgotten, as any code is once it
is printed: to try the answer page, issue a new batch and open its slips."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaign.models import Campaign
from core import audit
from orgs.models import Organization, Role, RoleGrant
from reviews import surveys
from reviews.models_surveys import Survey, SurveyCodeBatch
from reviews.tallying import fold_satisfaction

OPINIONS = [
    "希望党员多到群众家里走走，听听大家的意见",
    "为民服务代理点办事很方便，继续保持",
    "公示栏的承诺要及时更新完成情况",
    "困难群众帮扶要更精准一些",
]
SUBJECTS = 12  # at most, so make run stays quick
CODES = 20  # per subject


class Command(BaseCommand):
    help = (
        "为演示区的活动生成一次群众评议（发放评议码、网上评议和部分纸质评议）；已有群众评议时跳过"
    )

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")

    def handle(self, *args, root, **options):
        campaign = Campaign.objects.filter(organization__code=root).order_by("-start_date").first()
        if campaign is None:
            raise CommandError(f"“{root}”还没有创先争优活动，请先运行 load_campaign")
        if Survey.objects.filter(campaign=campaign).exists():
            self.stdout.write(f"“{campaign.name}”已有群众评议，跳过。")
            return
        admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            raise CommandError("请先运行 seed_demo")
        scope = (
            Organization.objects.filter(parent=campaign.organization, is_active=True)
            .filter(rght__gt=F("lft") + 1)  # one with units below it
            .order_by("lft")
            .first()
        )
        scope = scope or campaign.organization
        today = timezone.localdate()
        rng = random.Random(2026)
        with audit.acting(admin, audit.Source.COMMAND):
            try:
                survey = surveys.survey_create(
                    user=admin,
                    campaign=campaign,
                    organization=scope,
                    title=f"{today.year}年度群众评议",
                    opens_on=today - dt.timedelta(days=3),
                    closes_on=today + dt.timedelta(days=25),
                )
            except surveys.SurveyError as exc:
                raise CommandError(str(exc)) from None
            subjects = list(survey.subjects.select_related("organization").order_by("pk"))
            answered = 0
            for i, subject in enumerate(subjects[:SUBJECTS]):
                batch = SurveyCodeBatch.objects.create(subject=subject, size=CODES, issued_by=admin)
                with transaction.atomic():
                    codes = surveys.issue_codes(batch)
                    batch.state = SurveyCodeBatch.State.ISSUED
                    batch.save(update_fields=["state"])
                # Mostly 满意, some 基本满意, a few 不满意: around the 90 % target.
                lean = 0.75 + 0.2 * rng.random()
                for code in codes[: rng.randint(CODES // 2, CODES - 2)]:
                    given = [
                        0 if rng.random() < lean else (1 if rng.random() < 0.6 else 2)
                        for _ in survey.questions
                    ]
                    opinion = rng.choice(OPINIONS) if rng.random() < 0.15 else ""
                    found = surveys.answer(
                        typed=code, answers=given, opinion=opinion, address="demo"
                    )
                    answered += found.status == "done"
                # Every third unit held a 党员大会 with paper forms; every sixth
                # also a 群众代表座谈会 the day before.
                meetings = (1 if i % 3 == 0 else 0) + (1 if i % 6 == 0 else 0)
                for meeting in range(meetings):
                    forms = rng.randint(15, 30)
                    counts = []
                    for _ in survey.questions:
                        bad, invalid = rng.randint(0, 2), rng.randint(0, 1)
                        fair = rng.randint(0, 4)
                        counts.append([forms - bad - invalid - fair, fair, bad, invalid])
                    surveys.tally_save(
                        user=admin,
                        subject=subject,
                        attendees=forms + rng.randint(0, 5),
                        forms=forms,
                        counts=counts,
                        held_on=today - dt.timedelta(days=1 + meeting),
                    )
            members = self._members_survey(campaign, campaign.organization, admin, today, rng)
        # The web answers' 满意率 figures wait for the minutely beat job, which
        # `make run` does not start: fold them in now, as it would.
        fold_satisfaction()
        self.stdout.write(
            f"已生成群众评议：{survey}（{scope.name}，{len(subjects)} 个评议对象，网上评议 {answered} 份）"
            + (f"；{members}" if members else "")
        )

    def _members_survey(self, campaign, root, admin, today, rng) -> str:
        """A survey of the members of a branch: the first demo 支部书记's (so that
        login has the members' paper forms in its 待办), else the first branch
        with members; codes for the first half, some answered; the others wait
        for 全部发放."""
        branches = Organization.objects.filter(
            tree_id=root.tree_id, lft__gt=root.lft, rght__lt=root.rght, kind="branch"
        ).filter(members__isnull=False)
        branch = (
            branches.filter(
                pk__in=RoleGrant.objects.filter(role=Role.BRANCH_SECRETARY).values("organization")
            )
            .order_by("role_grants__user__username")
            .first()
            or branches.order_by("lft").first()
        )
        if branch is None:
            return ""
        survey = surveys.survey_create(
            user=admin,
            campaign=campaign,
            organization=branch,
            title=f"{today.year}年度{branch.name}党员群众评议",
            opens_on=today - dt.timedelta(days=2),
            closes_on=today + dt.timedelta(days=20),
            subject_kind=Survey.SubjectKind.MEMBERS,
        )
        subjects = list(survey.subjects.select_related("member").order_by("member__number"))
        for subject in subjects[: max(1, len(subjects) // 2)]:
            batch = SurveyCodeBatch.objects.create(subject=subject, size=5, issued_by=admin)
            with transaction.atomic():
                codes = surveys.issue_codes(batch)
                batch.state = SurveyCodeBatch.State.ISSUED
                batch.save(update_fields=["state"])
            for code in codes[:3]:
                given = [0 if rng.random() < 0.85 else 1 for _ in survey.questions]
                surveys.answer(typed=code, answers=given, opinion="", address="demo")
        return f"{survey}（{len(subjects)} 名党员）"
