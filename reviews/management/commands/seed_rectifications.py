"""Demo 整改 for a district's running campaign: items opened from the spot checks'
findings and by hand, in every state (some sent back once), some overdue,
due around today. The demo 支部书记s' branches each get a few (one sent back,
one waiting to start, one verified), so those logins have 整改 in their 待办 and
its notices."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaign.models import Campaign
from core import audit
from core.models import Notification
from orgs.models import Organization, Role, RoleGrant
from reviews import rectify
from reviews.models_rectify import Rectification
from reviews.models_spotcheck import SpotCheck

# The seeds' wording (001 限期整改, 002 整改措施、逐一进行整改落实).
ITEMS = [
    ("党员承诺公示栏内容未及时更新", "对公示栏承诺内容逐项核对更新，每季度更新一次"),
    ("讲评会记录不完整，缺少群众代表意见", "补齐讲评会记录，下次讲评会邀请群众代表参加"),
    ("实施方案中活动载体不够具体", "修订实施方案，明确活动载体和时间安排"),
    ("群众反映党员联系服务群众不够经常", "建立党员联系户制度，每月走访不少于一次"),
    ("党员活动室制度未上墙", "制度上墙，建立党员活动室使用登记"),
    ("践诺情况记录不全", "逐一补录践诺情况，附照片等佐证材料"),
]
EVIDENCE = "已按整改措施逐一进行整改落实：{what}。"
# The states the demo shows, cycled over the units; (state, due in days from today).
PLAN = [
    ("pending", 20),
    ("pending", -5),  # overdue
    ("in_progress", 10),
    ("in_progress", -12),  # overdue
    ("done", 3),
    ("verified", -20),
    ("redo", 15),  # sent back once, 整改中 again
    ("redo", -3),  # sent back after its due date: overdue
]
# What each demo 支部书记's branch has: sent back once, waiting to start, verified.
DEMO_PLAN = [("redo", 12), ("pending", 9), ("verified", -25)]


class Command(BaseCommand):
    help = (
        "为演示区的活动生成整改事项（来自随机抽查和手工录入，各种状态，部分逾期）；已有整改时跳过"
    )

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")
        parser.add_argument("--count", type=int, default=24, help="手工录入的整改事项数（默认 24）")

    def handle(self, *args, root, count, **options):
        campaign = Campaign.objects.filter(organization__code=root).order_by("-start_date").first()
        if campaign is None:
            raise CommandError(f"“{root}”还没有创先争优活动，请先运行 load_campaign")
        if Rectification.objects.filter(campaign=campaign).exists():
            self.stdout.write(f"“{campaign.name}”已有整改事项，跳过。")
            return
        admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            raise CommandError("请先运行 seed_demo")
        rng = random.Random(2010)
        today = timezone.localdate()
        made = 0
        with audit.acting(admin, audit.Source.COMMAND):
            checks = SpotCheck.objects.filter(
                round__campaign=campaign, state=SpotCheck.State.CHECKED, rectification_id=None
            ).exclude(findings__in=["", "未发现问题"])
            for check in checks.select_related("round__campaign", "organization").order_by("pk"):
                item = rectify.rectification_open_from_spot_check(
                    user=admin,
                    check=check,
                    description=f"针对抽查发现的问题限期整改：{check.findings}",
                    # opened today from the round drawn today (seed_spotchecks): due ahead
                    due_on=today + dt.timedelta(days=rng.choice([5, 14, 30])),
                )
                self._walk(item, rng.choice(PLAN)[0], admin)
                made += 1
            units = list(
                Organization.objects.filter(
                    tree_id=campaign.organization.tree_id,
                    kind=Organization.Kind.BRANCH,
                    is_active=True,
                ).order_by("pk")
            )
            if not units:
                raise CommandError(f"“{root}”之下没有党支部")
            demo_ids = set(
                RoleGrant.objects.filter(role=Role.BRANCH_SECRETARY).values_list(
                    "organization_id", flat=True
                )
            )
            demo = [unit for unit in units if unit.pk in demo_ids]
            for j, unit in enumerate(demo):
                for k, (state, days) in enumerate(DEMO_PLAN):
                    self._item(
                        admin, campaign, unit, ITEMS[(j + k) % len(ITEMS)], state, days, today
                    )
                    made += 1
            units = [unit for unit in units if unit.pk not in demo_ids]
            for i, unit in enumerate(rng.sample(units, min(count, len(units)))):
                state, days = PLAN[i % len(PLAN)]
                self._item(admin, campaign, unit, ITEMS[i % len(ITEMS)], state, days, today)
                made += 1
            flagged = rectify.rectification_flag_overdue()
        self.stdout.write(f"已生成整改事项 {made} 项，其中逾期 {flagged['flagged']} 项")

    def _date(self, item: Rectification, campaign, today: dt.date) -> None:
        """Stamp the item as opened about a month before its due date and moved on
        the days after (none after today), through a queryset so that no workflow
        or audit runs again: the seed runs today, the demo's 整改 has a history."""
        item.refresh_from_db()
        opened = max(campaign.start_date, min(today, item.due_on - dt.timedelta(days=30)))
        left = (today - opened).days

        def at(share: float, hour: int) -> dt.datetime:
            day = opened + dt.timedelta(days=int(left * share))
            return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))

        stamps = {"created_at": at(0, 9)}
        for field, share in (("started_at", 0.2), ("completed_at", 0.6), ("verified_at", 0.9)):
            if getattr(item, field) is not None:
                stamps[field] = at(share, 10 + int(share * 6))
        Rectification.objects.filter(pk=item.pk).update(**stamps)
        # Its 核验 / 重新整改 notice went out on the last of those days.
        Notification.objects.filter(about="reviews.rectification", about_id=item.pk).update(
            created_at=max(stamps.values())
        )

    def _item(self, admin, campaign, unit, finding, state, days, today) -> None:
        """One hand-entered item (finding, measure), due ``days`` from today,
        taken to ``state`` and dated back from its due date."""
        found, measure = finding
        item = rectify.rectification_open(
            user=admin,
            campaign=campaign,
            organization=unit,
            description=measure,
            due_on=today + dt.timedelta(days=days),
            source_kind=Rectification.SourceKind.MANUAL,
            source_text=found,
        )
        self._walk(item, state, admin)
        self._date(item, campaign, today)

    def _walk(self, item: Rectification, state: str, user) -> None:
        """Take the item to ``state`` through the workflow (redo: done, sent back)."""
        if state == "pending":
            return
        item = rectify.rectification_start(item=item, user=user)
        if state == "in_progress":
            return
        evidence = EVIDENCE.format(what=item.description)
        item = rectify.rectification_complete(item=item, user=user, evidence=evidence)
        if state == "verified":
            rectify.rectification_verify(item=item, user=user)
        elif state == "redo":
            rectify.rectification_redo(
                item=item, user=user, reason="佐证材料不足，请补充整改前后对比照片"
            )
