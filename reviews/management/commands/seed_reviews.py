"""Demo review rounds for a district's running campaign: last quarter's 党员民主评议
closed with results and published, this quarter's 点评 open from the cadence, and
this quarter's 党员民主评议 under way in the community of the first demo 支部书记
(some branches have scored, the demo logins' branches have not: their secretaries
have a sheet to fill and the demo 党员 co-members to review)."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign, Milestone
from core import audit
from orgs import selectors
from orgs.models import Organization, Role, RoleGrant
from reviews import services
from reviews.choices import EvaluatorKind
from reviews.meetings import meeting_save
from reviews.models import Review, ReviewKind, ReviewRound
from reviews.results import round_results
from reviews.sheets import Entry, grid_save, tally_enter

SCORED = 4  # branches of this quarter's round already scored (each costs a second or so)
OPINIONS = ["联系群众还要更紧密", "带头作用明显", "学习笔记要更扎实", "志愿服务积极", ""]


class Command(BaseCommand):
    help = "为演示区的活动生成评议：上季度党员民主评议已结束并公布结果，本季度点评进行中；已有评议时跳过"

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")
        parser.add_argument("--unit", default="MH-JD01", help="上季度评议所在的党组织代码")

    def handle(self, *args, root, unit, **options):
        campaign = Campaign.objects.filter(organization__code=root).order_by("-start_date").first()
        if campaign is None:
            raise CommandError(f"“{root}”还没有创先争优活动，请先运行 load_campaign")
        if ReviewRound.objects.filter(campaign=campaign).exists():
            self.stdout.write(f"“{campaign.name}”已有评议，跳过。")
            return
        admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        street = Organization.objects.filter(code=unit).first()
        if admin is None or street is None:
            raise CommandError("请先运行 seed_demo")
        rng = random.Random(2010)
        today = timezone.localdate()
        with audit.acting(admin, audit.Source.COMMAND):
            closed = self._closed_round(campaign, street, admin, today, rng)
            opened = self._cadence_round(campaign, admin, today)
            current = self._current_round(campaign, admin, today, rng)
        self.stdout.write(
            f"已生成评议：{closed}（已公布，{Review.objects.filter(round=closed).count()} 人）"
            + (f"；{opened}（进行中）" if opened else "")
            + (f"；{current}（进行中，{current.organization.name}）" if current else "")
        )

    def _member_kind(self, campaign) -> ReviewKind:
        kind = (
            ReviewKind.objects.filter(campaign=campaign, subject="member")
            .order_by("position")
            .first()
        )
        if kind is None:
            raise CommandError("活动没有评议党员的评议类型")
        return kind

    def _closed_round(self, campaign, street, admin, today, rng) -> ReviewRound:
        kind = self._member_kind(campaign)
        quarter_end = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - dt.timedelta(
            days=1
        )
        quarter = (quarter_end.month - 1) // 3
        period = f"{quarter_end.year}年第{'一二三四'[quarter]}季度"
        with transaction.atomic():
            round_ = services.round_create(
                user=admin,
                campaign=campaign,
                kind=kind,
                organization=street,
                period=period,
                opens_on=max(campaign.start_date, quarter_end - dt.timedelta(days=29)),
                closes_on=quarter_end,
            )
            round_ = services.round_open(round_=round_, user=admin)
            branches = Organization.objects.filter(
                selectors.subtree_q(street),
                pk__in=Review.objects.filter(round=round_).values("organization"),
            )
            for index, branch in enumerate(branches):
                # most branches held their 讲评会
                self._score_branch(round_, branch, admin, rng, meeting=index % 7 != 6)
            round_ = services.round_close(round_=round_, user=admin)
        round_results(round_)  # as the job does at close; computed here so the demo has it at once
        round_ = services.round_publish(round_=round_, user=admin)

        # Opened, closed and published on its own dates, not the day the seed runs (a
        # queryset update: the moves and their audit are done).
        def at(day: dt.date, hour: int) -> dt.datetime:
            return timezone.make_aware(dt.datetime.combine(min(day, today), dt.time(hour)))

        ReviewRound.objects.filter(pk=round_.pk).update(
            created_at=at(round_.opens_on - dt.timedelta(days=3), 10),
            opened_at=at(round_.opens_on, 9),
            closed_at=at(round_.closes_on + dt.timedelta(days=1), 9),
            published_at=at(round_.closes_on + dt.timedelta(days=10), 15),
        )
        round_.refresh_from_db()
        return round_

    def _score_branch(self, round_, branch, admin, rng, *, meeting: bool) -> None:
        """A branch's 讲评: its meeting, the branch's sheet of every member submitted,
        and the peers' and the public's ballots entered as tallies."""
        kind = round_.kind
        codes = [c.code for c in kind.rubric.criteria.all()]
        maxima = {c.code: c.max_score for c in kind.rubric.criteria.all()}
        uses = set(kind.evaluators.values_list("evaluator", flat=True))

        # Each member has a standing (most good, a few excellent, a few weak), so
        # the round's grades spread as a real one's do instead of all 合格.
        def standing() -> float:
            return min(1.0, max(0.45, rng.gauss(0.8, 0.1)))

        def score(code: str, level: float) -> int:
            top = int(maxima[code])
            return min(top, max(0, round(top * (level + rng.uniform(-0.05, 0.05)))))

        reviews = list(Review.objects.filter(round=round_, organization=branch))
        if not reviews:
            return
        levels = {r.pk: standing() for r in reviews}
        entries = {
            r.pk: Entry({c: score(c, levels[r.pk]) for c in codes}, opinion=rng.choice(OPINIONS))
            for r in reviews
        }
        if meeting:
            held = min(round_.closes_on, timezone.localdate()) - dt.timedelta(
                days=rng.randint(1, 10)
            )
            meeting_save(
                round_=round_,
                unit=branch,
                user=admin,
                values={
                    "held_on": max(round_.opens_on, held),
                    "place": "党员活动室",
                    "attendees": max(1, len(reviews) - rng.randint(0, 2)),
                    "public_attendees": rng.randint(2, 6),
                    "minutes": "逐一讲评党员践诺情况，群众代表现场评议。",
                },
            )
        grid_save(round_=round_, unit=branch, user=admin, entries=entries, submit=True)
        for review in reviews:
            for evaluator in (EvaluatorKind.PEER, EvaluatorKind.PUBLIC):
                if evaluator not in uses:
                    continue
                ballots = min(len(reviews) - 1, 8) if evaluator == EvaluatorKind.PEER else 10
                if ballots < 1:
                    continue
                level = levels[review.pk]
                totals = {c: sum(score(c, level) for _ballot in range(ballots)) for c in codes}
                tally_enter(
                    review=review, user=admin, evaluator=evaluator, ballots=ballots, totals=totals
                )

    def _current_round(self, campaign, admin, today, rng) -> ReviewRound | None:
        """This quarter's 党员民主评议 in the community above the first demo 支部书记's
        branch, open till the quarter's end: its first few other branches have
        scored (and entered their ballots), the demo logins' branches have not."""
        grant = (
            RoleGrant.objects.filter(
                role=Role.BRANCH_SECRETARY,
                organization__tree_id=campaign.organization.tree_id,
                organization__parent__isnull=False,
            )
            .select_related("organization__parent")
            .order_by("user__username", "pk")
            .first()
        )
        if grant is None or grant.organization.parent == campaign.organization:
            return None
        community = grant.organization.parent
        kind = self._member_kind(campaign)
        month = 3 * ((today.month - 1) // 3) + 3
        quarter_end = dt.date(today.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        closes = min(campaign.end_date, max(quarter_end, today + dt.timedelta(days=10)))
        period = f"{today.year}年第{'一二三四'[(today.month - 1) // 3]}季度"
        if ReviewRound.objects.filter(kind=kind, organization=community, period=period).exists():
            return None
        demo_units = set(
            RoleGrant.objects.filter(role__in=[Role.BRANCH_SECRETARY, Role.MEMBER]).values_list(
                "organization_id", flat=True
            )
        )
        with transaction.atomic():
            round_ = services.round_create(
                user=admin,
                campaign=campaign,
                kind=kind,
                organization=community,
                period=period,
                opens_on=max(campaign.start_date, today - dt.timedelta(days=7)),
                closes_on=closes,
            )
            round_ = services.round_open(round_=round_, user=admin)
            branches = Organization.objects.filter(
                pk__in=Review.objects.filter(round=round_).values("organization")
            ).exclude(pk__in=demo_units)
            for branch in branches.order_by("lft")[:SCORED]:
                self._score_branch(round_, branch, admin, rng, meeting=True)
        return round_

    def _cadence_round(self, campaign, admin, today) -> ReviewRound | None:
        """This quarter's district 点评 from the cadence: the milestone whose round is on now."""
        for milestone in Milestone.objects.filter(
            campaign=campaign, kind="review", date__gte=today
        ).order_by("date"):
            kinds = milestone.review_kinds.all()
            if kinds and all(
                milestone.date - dt.timedelta(days=k.round_days) <= today for k in kinds
            ):
                made = services.rounds_from_milestone(user=admin, milestone=milestone)
                return made[0] if made else None
        return None
