"""Demo bulletins for a district's running campaign: a 公开 工作简报 of the
district, a 通报 of a committee to its subtree, and the 检查通报 of the demo
spot-check round (made by its report job, so the draft carries the PDF),
left a draft for the office to publish (发布为检查通报). Idempotent: what exists (by title, or by the round) is kept.

It lives in reviews because the 检查通报 comes from a spot-check round; the
bulletins themselves are campaign's (``campaign.bulletins``)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaign import bulletins
from campaign.models import Campaign
from campaign.models_bulletins import Bulletin
from core import audit
from core.jobs import job_run, job_start
from orgs.models import Organization, Role, RoleGrant
from reviews.models_spotcheck import SpotCheckRound
from reviews.spotcheck_documents import BULLETIN_SOURCE, REPORT

WORK_BODY = """全区创先争优活动开展以来，各级党组织按照“五个好”“五个带头”的要求，结合岗位实际，扎实推进公开承诺、领导点评、群众评议各项工作。

一、实施方案全部报送。各街道、社区党组织结合实际制定实施方案，明确实践主题、活动载体、创建条件和承诺内容，经上级党组织审核后备案。

二、公开承诺全面推开。基层党组织和党员通过公示栏、网上公示等方式公开承诺，接受群众监督；各单位定期更新践诺情况。

三、讲评评议有序进行。各党（工）委按季度开展点评，组织群众代表参加评议，对发现的问题逐项建立整改台账。

下一步，各单位要对照活动安排，做好阶段总结和评选表彰的准备工作。"""

NOTICE_BODY = """各社区党委、各党支部：

近期对辖区党组织公开承诺的公示情况进行了检查。总体看，多数党组织公示及时、内容具体，但也有个别党支部存在承诺内容空泛、践诺情况更新不及时的问题。

请各党支部对照检查，于本月底前完成公示栏的更新，践诺情况每月至少更新一次，并将整改情况报街道党工委。"""


class Command(BaseCommand):
    help = "为演示区的活动生成工作简报：一份公开的工作简报、一份党（工）委通报、一份随机抽查的检查通报；已有时跳过"

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")

    def handle(self, *args, root, **options):
        campaign = Campaign.objects.filter(organization__code=root).order_by("-start_date").first()
        if campaign is None:
            raise CommandError(f"“{root}”还没有创先争优活动，请先运行 load_campaign")
        admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            raise CommandError("请先运行 seed_demo")
        top = campaign.organization
        office = self._holder(Role.CAMPAIGN_OFFICE, top) or admin
        committee_grant = (
            RoleGrant.objects.filter(
                role=Role.COMMITTEE_STAFF,
                organization__tree_id=top.tree_id,
                organization__lft__gt=top.lft,
            )
            .select_related("organization", "user")
            .order_by("organization__lft", "pk")
            .first()
        )
        if committee_grant is not None:
            committee, street = committee_grant.user, committee_grant.organization
        else:
            street = Organization.objects.filter(parent=top).order_by("lft").first() or top
            committee = office
        made = 0
        with audit.acting(admin, audit.Source.COMMAND):
            made += self._published(
                office,
                campaign,
                top,
                Bulletin.Kind.WORK,
                f"{top.name}创先争优活动工作简报",
                WORK_BODY,
                Bulletin.Audience.PUBLIC,
                days_ago=18,
            )
            made += self._published(
                committee,
                campaign,
                street,
                Bulletin.Kind.NOTICE,
                "关于公开承诺公示情况的通报",
                NOTICE_BODY,
                Bulletin.Audience.SUBTREE,
                days_ago=6,
            )
            made += self._spot_check(campaign, office)
        self.stdout.write(f"已生成工作简报 {made} 份（已有的保留不变）。")

    def _holder(self, role, organization):
        grant = (
            RoleGrant.objects.filter(role=role, organization=organization)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        return grant.user if grant else None

    def _published(
        self, user, campaign, organization, kind, title, body, audience, days_ago=0
    ) -> int:
        if Bulletin.objects.filter(campaign=campaign, organization=organization, title=title):
            return 0
        bulletin = bulletins.bulletin_create(
            user=user,
            campaign=campaign,
            organization=organization,
            kind=kind,
            title=title,
            body=body,
            audience=audience,
        )
        bulletins.bulletin_publish(bulletin=bulletin, user=user)
        if days_ago:
            # Issued some days back (the seed runs today), through a queryset so that
            # no workflow or audit runs again; never before the campaign began.
            day = max(campaign.start_date, timezone.localdate() - dt.timedelta(days=days_ago))
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
            Bulletin.objects.filter(pk=bulletin.pk).update(
                created_at=at - dt.timedelta(days=1), published_at=at
            )
        return 1

    def _spot_check(self, campaign, user) -> int:
        """The demo round's 检查通报, made by its job (which lands the draft)."""
        round_ = SpotCheckRound.objects.filter(campaign=campaign).order_by("pk").first()
        if round_ is None:
            self.stdout.write("还没有随机抽查（先运行 seed_spotchecks），跳过检查通报。")
            return 0
        if bulletins.source_bulletin(BULLETIN_SOURCE, round_.pk) is not None:
            return 0
        job = job_start(kind=REPORT, user=user, params={"round": round_.pk})
        job_run(job.pk)
        job.refresh_from_db()
        found = bulletins.source_bulletin(BULLETIN_SOURCE, round_.pk)
        if found is None:
            raise CommandError(f"检查通报未能生成：{job.error or job.message}")
        return 1
