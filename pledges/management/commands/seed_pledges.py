"""Demo pledges: published pledges with progress for the first branches of a district."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign
from core import audit
from orgs.models import Organization, Role
from orgs.selectors import tree_q
from pledges import services
from pledges.models import Pledge
from pledges.services import ItemInput

UNIT_ITEMS = [
    ("建立党员服务站，每周二、四为群众代办事项", "服务台账、群众评议"),
    ("每季度召开一次党员大会，向群众公开党务", "会议记录、公开栏照片"),
    ("结对帮扶困难家庭10户，帮助解决实际困难", "帮扶台账、走访回访"),
    ("组织党员志愿服务每月不少于1次", "活动记录、群众满意度测评"),
]
MEMBER_ITEMS = [
    ("在岗位上亮身份、作承诺，做到优质、高效、文明、周到", "服务对象评议"),
    ("每月走访联系户不少于2户，帮助解决实际困难", "走访记录"),
    ("带头学习科学发展观，每季度写一篇学习体会", "学习笔记"),
    ("带头参加社区志愿服务，全年不少于12次", "志愿服务记录"),
    ("带头遵纪守法，主动化解邻里矛盾纠纷", "群众评议"),
]


class Command(BaseCommand):
    help = "为演示区前若干个党支部生成已公示的党组织和党员承诺（含践诺记录）；已有承诺的支部跳过"

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")
        parser.add_argument("--branches", type=int, default=12, help="生成承诺的党支部数")

    def handle(self, *args, root, branches, **options):
        campaign = Campaign.objects.filter(organization__code=root).order_by("-start_date").first()
        if campaign is None:
            raise CommandError(f"“{root}”还没有创先争优活动，请先运行 load_campaign")
        admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            raise CommandError("没有系统管理员账号，请先运行 seed_demo")
        # The admin enters; the campaign office approves (a separate approver, as the
        # campaign asks by default), falling back to the admin where it does not.
        office = (
            get_user_model()
            .objects.filter(
                role_grants__role=Role.CAMPAIGN_OFFICE,
                role_grants__organization=campaign.organization,
            )
            .order_by("pk")
            .first()
        )
        if office is None and campaign.separate_approver:
            raise CommandError("审核人须不同于录入人：请先为根党组织授予一位“活动办公室”账号")
        approver = office or admin
        units = Organization.objects.filter(
            tree_q(campaign.organization), kind=Organization.Kind.BRANCH
        ).order_by("lft")[:branches]
        phase = campaign.phases.order_by("start_date").first()
        rng = random.Random(2010)
        made = 0
        with transaction.atomic(), audit.acting(admin, audit.Source.COMMAND):
            for unit in units:
                if Pledge.objects.filter(campaign=campaign, organization=unit).exists():
                    continue
                # Due a few months ahead (a campaign re-dated to today, as make run's),
                # never after the campaign ends.
                due = min(campaign.end_date, timezone.localdate() + dt.timedelta(days=120))
                self._publish(campaign, admin, approver, unit, None, rng.sample(UNIT_ITEMS, 2), due)
                for member in unit.members.order_by("number")[:5]:
                    pledge = self._publish(
                        campaign, admin, approver, unit, member, rng.sample(MEMBER_ITEMS, 2), due
                    )
                    services.pledge_update_add(
                        pledge=pledge,
                        user=admin,
                        item_key=1,
                        happened_on=min(
                            timezone.localdate(),
                            campaign.start_date + dt.timedelta(days=rng.randint(30, 200)),
                        ),
                        text="已按承诺完成本月事项，群众反映良好",
                    )
                    if phase and rng.random() < 0.5:
                        services.pledge_outcome_set(
                            pledge=pledge,
                            user=admin,
                            outcome=Pledge.Outcome.HONOURED,
                            comment="",
                            phase=phase,
                        )
                    made += 1
                made += 1
        self.stdout.write(f"已生成并公示 {made} 份承诺。")

    def _publish(self, campaign, user, approver, unit, member, items, due) -> Pledge:
        pledge = services.pledge_create(
            campaign=campaign,
            user=user,
            organization=unit,
            member=member,
            audience=Pledge.Audience.PUBLIC,
            items=[ItemInput(content=c, due_date=due, verification=v) for c, v in items],
            on_behalf=member is not None,
        )
        pledge = services.pledge_submit(pledge=pledge, user=user)
        with audit.acting(approver, audit.Source.COMMAND):
            pledge = services.pledge_approve(pledge=pledge, user=approver)
            return services.pledge_publish(pledge=pledge, user=approver)
