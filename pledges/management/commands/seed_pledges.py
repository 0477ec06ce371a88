"""Demo pledges for a district's running campaign: published pledges with progress
(践诺) and last phase's 评诺 for the first branches, the contact points' branches
and the demo logins' branches; in the demo logins' branches also pledges in the
other states, so that each login has its 待办 (the secretary: pledges to approve
and visitors' comments to moderate; the member: a returned pledge to revise; the
committee: a branch's pledge to its parent to approve).

Dates: what was published went up in the first phase (公开承诺), weeks after the
campaign began, and the progress entries fall between then and today."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign, ContactPoint
from core import audit
from core.models import Notification
from orgs import selectors
from orgs.models import Member, Organization, Role, RoleGrant
from orgs.selectors import tree_q
from pledges import services
from pledges.models import Pledge, PledgeComment, PledgeRevision, PledgeUpdate
from pledges.services import ItemInput

UNIT_ITEMS = [
    ("建立党员服务站，每周二、四为群众代办事项", "服务台账、群众评议"),
    ("每季度召开一次党员大会，向群众公开党务", "会议记录、公开栏照片"),
    ("结对帮扶困难家庭10户，帮助解决实际困难", "帮扶台账、走访回访"),
    ("组织党员志愿服务每月不少于1次", "活动记录、群众满意度测评"),
]
PARENT_ITEMS = [
    ("年内完成党员活动室规范化建设", "现场检查"),
    ("每季度向上级党组织报告承诺践诺情况", "书面报告"),
]
MEMBER_ITEMS = [
    ("在岗位上亮身份、作承诺，做到优质、高效、文明、周到", "服务对象评议"),
    ("每月走访联系户不少于2户，帮助解决实际困难", "走访记录"),
    ("带头学习科学发展观，每季度写一篇学习体会", "学习笔记"),
    ("带头参加社区志愿服务，全年不少于12次", "志愿服务记录"),
    ("带头遵纪守法，主动化解邻里矛盾纠纷", "群众评议"),
]
PARTY_ITEMS = [
    ("按时足额交纳党费，按时参加组织生活", "支部台账"),
    ("每季度向支部汇报一次思想和践诺情况", "汇报记录"),
]
UPDATES = [
    "已按承诺完成本月事项，群众反映良好",
    "走访联系户3户，帮助协调解决了楼道照明问题",
    "参加社区志愿服务2次，整理活动照片上墙公示",
    "本季度学习体会已交支部，在支部大会上作了交流",
]
# 评诺 of the first phase: mostly honoured, some partly, a few not.
OUTCOMES = [
    (Pledge.Outcome.HONOURED, ""),
    (Pledge.Outcome.HONOURED, ""),
    (Pledge.Outcome.HONOURED, ""),
    (Pledge.Outcome.PARTIAL, "走访次数未达到承诺要求，下一阶段补足"),
    (Pledge.Outcome.UNHONOURED, "承诺事项未按时限完成，已提醒限期落实"),
]
RETURN_REASON = "承诺事项要写明具体次数和完成时限，便于党组织和群众监督"
COMMENTS = [
    ("居民老王", "服务站周二下午经常没人值班，希望按承诺时间开门"),
    ("", "帮扶困难家庭的名单能不能在公示栏上公开一下"),
    ("社区居民", "党员志愿者帮我们修好了楼道灯，谢谢！"),
]


class Command(BaseCommand):
    help = (
        "为演示区生成公开承诺：前若干个党支部、联系点和演示账号所在支部的承诺已公示（含践诺和评诺），"
        "演示账号所在支部另有待审核、退回、草稿的承诺和待审核的群众留言；已有承诺的支部跳过"
    )

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
        self.campaign, self.admin, self.approver = campaign, admin, office or admin
        self.rng = random.Random(2010)
        self.today = timezone.localdate()
        phase = campaign.phases.order_by("start_date").first()
        # 评诺 is for a phase that is over (the first, in make run's campaign).
        self.judged = phase if phase is not None and phase.end_date < self.today else None
        in_tree = Organization.objects.filter(
            tree_q(campaign.organization), kind=Organization.Kind.BRANCH, is_active=True
        )
        demo_units = list(
            in_tree.filter(
                pk__in=RoleGrant.objects.filter(
                    role__in=[Role.BRANCH_SECRETARY, Role.MEMBER]
                ).values("organization")
            ).order_by("lft")
        )
        chosen = list(in_tree.order_by("lft")[:branches])
        for point in ContactPoint.objects.filter(campaign=campaign).select_related("organization"):
            chosen.extend(
                in_tree.filter(selectors.subtree_q(point.organization)).order_by("lft")[:2]
            )
        chosen.extend(demo_units)
        made = 0
        with transaction.atomic(), audit.acting(admin, audit.Source.COMMAND):
            for unit in dict.fromkeys(chosen):
                if Pledge.objects.filter(campaign=campaign, organization=unit).exists():
                    continue
                made += self._published_unit(unit)
                if unit in demo_units:
                    made += self._waiting(unit)
        self.stdout.write(f"已生成 {made} 份承诺。")

    # ------------------------------------------------------------------ dates
    def _published_on(self) -> dt.datetime:
        """A day of the first weeks of the campaign (the 公开承诺 phase), in office hours."""
        start = self.campaign.start_date
        last = max(start, min(self.today, start + dt.timedelta(days=75)))
        day = start + dt.timedelta(days=self.rng.randint(20, max(20, (last - start).days)))
        day = min(day, self.today)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(9 + self.rng.randint(0, 7))))

    def _due_dates(self) -> list[dt.date]:
        """Item deadlines spread over the campaign: some already past, most ahead."""
        start, end = self.campaign.start_date, self.campaign.end_date
        candidates = [
            self.today - dt.timedelta(days=30),
            self.today + dt.timedelta(days=45),
            self.today + dt.timedelta(days=120),
            self.today + dt.timedelta(days=240),
        ]
        return [min(end, max(start, day)) for day in candidates]

    def _backdate(self, pledge: Pledge, at: dt.datetime) -> None:
        """Stamp the pledge as filed, approved and published at ``at`` (the seed runs
        today; the demo shows a campaign under way), through querysets so that no
        workflow or audit runs again."""
        Pledge.objects.filter(pk=pledge.pk).update(
            created_at=at - dt.timedelta(days=2),
            submitted_at=at - dt.timedelta(days=2),
            approved_at=at - dt.timedelta(days=1),
            published_at=at,
            updated_at=at,
        )
        PledgeRevision.objects.filter(pledge=pledge).update(
            created_at=at - dt.timedelta(days=2), published_at=at
        )
        # Its 审核通过 notices went out then, and were read the next day.
        Notification.objects.filter(about="pledges.pledge", about_id=pledge.pk).update(
            created_at=at - dt.timedelta(days=1), read_at=at
        )

    # ------------------------------------------------------------------ pledges
    def _items(self, pool, n: int = 2, *, ahead: bool = False) -> list[ItemInput]:
        """Items with their deadlines; ``ahead``: a pledge still being written or
        approved, whose deadlines are all still to come."""
        dues = [d for d in self._due_dates() if d > self.today or not ahead] or [
            self.campaign.end_date
        ]
        return [
            ItemInput(content=c, due_date=self.rng.choice(dues), verification=v)
            for c, v in self.rng.sample(pool, n)
        ]

    def _create(self, unit, member, audience, pool, *, ahead: bool = False) -> Pledge:
        return services.pledge_create(
            campaign=self.campaign,
            user=self.admin,
            organization=unit,
            member=member,
            audience=audience,
            items=self._items(pool, ahead=ahead),
            on_behalf=member is not None,
        )

    def _publish(self, unit, member, pool) -> Pledge:
        pledge = self._create(unit, member, Pledge.Audience.PUBLIC, pool)
        pledge = services.pledge_submit(pledge=pledge, user=self.admin)
        with audit.acting(self.approver, audit.Source.COMMAND):
            pledge = services.pledge_approve(pledge=pledge, user=self.approver)
            pledge = services.pledge_publish(pledge=pledge, user=self.approver)
        at = self._published_on()
        self._backdate(pledge, at)
        pledge.refresh_from_db()
        return pledge

    def _progress(self, pledge: Pledge, since: dt.date) -> None:
        """One or two 践诺 entries between publication and today."""
        span = max(0, (self.today - since).days)
        for _n in range(self.rng.randint(1, 2)):
            day = since + dt.timedelta(days=self.rng.randint(0, span))
            update = services.pledge_update_add(
                pledge=pledge,
                user=self.admin,
                item_key=self.rng.randint(1, 2),
                happened_on=day,
                text=self.rng.choice(UPDATES),
            )
            entered = timezone.make_aware(dt.datetime.combine(day, dt.time(18)))
            PledgeUpdate.objects.filter(pk=update.pk).update(created_at=entered)

    def _published_unit(self, unit) -> int:
        """The unit's pledge to the public and its first five members', with 践诺 and
        (half of the members') 评诺 of the phase that is over."""
        made = 1
        self._publish(unit, None, UNIT_ITEMS)
        for member in unit.members.order_by("number")[:5]:
            pledge = self._publish(unit, member, MEMBER_ITEMS)
            self._progress(pledge, timezone.localdate(pledge.published_at))
            if self.judged and self.rng.random() < 0.5:
                outcome, comment = self.rng.choice(OUTCOMES)
                with audit.acting(self.approver, audit.Source.COMMAND):
                    services.pledge_outcome_set(
                        pledge=pledge,
                        user=self.approver,
                        outcome=outcome,
                        comment=comment,
                        phase=self.judged,
                    )
            made += 1
        return made

    def _waiting(self, unit) -> int:
        """A demo login's branch: the login member's pledge to the branch returned, two
        co-members' pledges to the branch submitted and a third's a draft, the branch's pledge to its
        parent submitted, and visitors' comments on its board, two still to moderate."""
        made = 0
        secretary = (
            RoleGrant.objects.filter(role=Role.BRANCH_SECRETARY, organization=unit)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        returner = secretary.user if secretary else self.approver
        for member in Member.objects.filter(organization=unit, user__isnull=False):
            pledge = self._create(
                unit, member, Pledge.Audience.ORGANIZATION, PARTY_ITEMS, ahead=True
            )
            pledge = services.pledge_submit(pledge=pledge, user=self.admin)
            with audit.acting(returner, audit.Source.COMMAND):
                services.pledge_return(pledge=pledge, user=returner, reason=RETURN_REASON)
            made += 1
        # Co-members' pledges to the branch: two waiting for the secretary, one a draft.
        others = unit.members.filter(user__isnull=True).order_by("number")[:3]
        for n, member in enumerate(others):
            pledge = self._create(
                unit, member, Pledge.Audience.ORGANIZATION, PARTY_ITEMS, ahead=True
            )
            if n < 2:
                services.pledge_submit(pledge=pledge, user=self.admin)
            made += 1
        if unit.parent_id is not None:
            pledge = self._create(unit, None, Pledge.Audience.PARENT, PARENT_ITEMS, ahead=True)
            services.pledge_submit(pledge=pledge, user=self.admin)
            made += 1
        board = Pledge.objects.filter(
            organization=unit, member=None, audience=Pledge.Audience.PUBLIC
        ).first()
        if board is not None:
            for n, (author, text) in enumerate(COMMENTS):
                comment = services.comment_add(
                    pledge=board, text=text, author=author, address=f"demo-{unit.pk}-{n}"
                )
                if n == len(COMMENTS) - 1 and secretary is not None:
                    with audit.acting(secretary.user, audit.Source.COMMAND):
                        services.comment_moderate(
                            comment=comment, user=secretary.user, approve=True
                        )
            PledgeComment.objects.filter(pledge=board).update(
                created_at=timezone.now() - dt.timedelta(days=2)
            )
        return made
