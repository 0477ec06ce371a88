"""Demo plans (实施方案) in every state for a district's running campaign, dated
as a campaign under way: the accepted ones filed in the first weeks, the returned
ones sent back in the last days, the submitted ones waiting since recently."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from campaign import plans
from campaign.models import Campaign, Plan
from campaign.selectors import plan_units_q
from core import audit
from core.models import Notification
from orgs import tallies
from orgs.models import Organization, Role

# What a unit writes in each of the plan's fields (whatever the campaign calls them).
TEXT = {
    "theme": "围绕中心、服务群众，争做{unit}先锋",
    "carriers": "党员承诺践诺、设岗定责、志愿服务“三项载体”，每季度开展一次主题活动",
    "conditions": "领导班子好、党员队伍好、工作机制好、工作业绩好、群众反映好",
    "commitments": "年内为群众办实事不少于5件，结对帮扶困难家庭10户",
    "measures": "书记负总责，支委分工包片；每月一次党员例会，每季度向群众公开进展",
    "schedule": "第一时段公开承诺；第二时段领导点评、群众评议；第三时段总结表彰",
}
# The demo logins' units (seed_demo): the secretary finds a returned plan on the
# home page, secretary2 a draft to finish; the committee above has plans to 备案.
FIXED = {
    "MH-JD01-SQ1-1": Plan.State.RETURNED,
    "MH-JD01-SQ1-2": Plan.State.DRAFT,
}
# The rest, in tree order: accepted, accepted, submitted, returned, draft, none, none …
CYCLE = [
    Plan.State.ACCEPTED,
    Plan.State.ACCEPTED,
    Plan.State.SUBMITTED,
    Plan.State.RETURNED,
    Plan.State.DRAFT,
    None,
    None,
]


class Command(BaseCommand):
    help = "为演示区的活动生成各种状态的实施方案（草稿、已报送、已备案、退回）；已有方案时跳过"

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")

    def handle(self, *args, root, **options):
        campaign = Campaign.objects.filter(organization__code=root).order_by("-start_date").first()
        if campaign is None:
            raise CommandError(f"“{root}”还没有创先争优活动，请先运行 load_campaign")
        if Plan.objects.filter(campaign=campaign).exists():
            self.stdout.write(f"“{campaign.name}”已有实施方案，跳过。")
            return
        User = get_user_model()
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
        reviewer = (
            User.objects.filter(
                role_grants__role=Role.CAMPAIGN_OFFICE,
                role_grants__organization=campaign.organization,
            )
            .order_by("pk")
            .first()
        ) or admin
        if admin is None:
            raise CommandError("没有系统管理员账号，请先运行 seed_demo")
        units = Organization.objects.filter(plan_units_q(campaign)).select_related(
            "parent", "sector"
        )
        counts: dict[str, int] = {}
        self.rng = random.Random(2010)
        self.today = timezone.localdate()
        # The stored plan counts (orgs.tallies) move once, not once a move.
        with transaction.atomic(), audit.acting(admin, audit.Source.COMMAND), tallies.deferred():
            for n, unit in enumerate(units.order_by("lft")):
                state = FIXED.get(unit.code, CYCLE[n % len(CYCLE)])
                if state is None:
                    continue
                self._plan(campaign, unit, state, admin, reviewer)
                counts[state] = counts.get(state, 0) + 1
        self.stdout.write(
            "已生成实施方案："
            + "，".join(f"{Plan.State(s).label} {counts.get(s, 0)}" for s in Plan.State.values)
        )

    def _plan(self, campaign, unit, state, writer, reviewer) -> None:
        plan = plans.plan_for(campaign=campaign, organization=unit)
        name = unit.short_name or unit.name
        plans.plan_save(
            plan=plan,
            user=writer,
            **{field: text.format(unit=name) for field, text in TEXT.items()},
        )
        if state != Plan.State.DRAFT:
            plan = plans.plan_submit(plan=plan, user=writer)
            with audit.acting(reviewer, audit.Source.COMMAND):
                if state == Plan.State.ACCEPTED:
                    plans.plan_accept(plan=plan, user=reviewer)
                elif state == Plan.State.RETURNED:
                    plans.plan_return(
                        plan=plan, user=reviewer, reason="承诺内容不够具体，请写明件数和完成时限"
                    )
        self._date(plan, state, campaign)

    def _date(self, plan, state, campaign) -> None:
        """Stamp when the plan was written, filed and decided (the seed runs today),
        through a queryset so that no workflow or audit runs again."""
        start, today, rng = campaign.start_date, self.today, self.rng

        def at(day: dt.date) -> dt.datetime:
            day = min(today, max(start, day))
            return timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(9, 17))))

        if state == Plan.State.ACCEPTED:
            filed = start + dt.timedelta(days=rng.randint(15, 60))
            decided = filed + dt.timedelta(days=rng.randint(3, 10))
        elif state == Plan.State.RETURNED:
            decided = today - dt.timedelta(days=rng.randint(1, 10))
            filed = decided - dt.timedelta(days=rng.randint(3, 10))
        elif state == Plan.State.SUBMITTED:
            filed = decided = today - dt.timedelta(days=rng.randint(0, 14))
        else:
            filed = decided = today - dt.timedelta(days=rng.randint(0, 20))
        written = filed - dt.timedelta(days=rng.randint(2, 7))
        stamps = {"created_at": at(written), "updated_at": at(decided)}
        if state != Plan.State.DRAFT:
            stamps["submitted_at"] = at(filed)
        if state in (Plan.State.ACCEPTED, Plan.State.RETURNED):
            stamps["reviewed_at"] = at(decided)
        Plan.objects.filter(pk=plan.pk).update(**stamps)
        # The 备案/退回 notice went out when it was decided; an old one has been read.
        read = stamps["updated_at"] if state == Plan.State.ACCEPTED else None
        Notification.objects.filter(about="campaign.plan", about_id=plan.pk).update(
            created_at=stamps["updated_at"], read_at=read
        )
