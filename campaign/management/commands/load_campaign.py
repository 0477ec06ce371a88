"""Create a seed campaign on a root organisation. Running it again changes nothing."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaign.seeds import seed_data, seed_names, seed_path, shifted
from campaign.services import CampaignDataError, campaign_load
from core import audit
from orgs.models import Organization


class Command(BaseCommand):
    help = (
        "在根党组织上创建种子文件所描述的创先争优活动（阶段、评价标准、分类指导、时间节点）；"
        "同名活动已存在时不作改动"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "name", help=f"种子名称（{'、'.join(seed_names())}）或同格式 JSON 文件的路径"
        )
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")
        parser.add_argument(
            "--today-in-phase",
            type=int,
            metavar="N",
            help="演示用：把所有日期平移，使今天落在第 N 个阶段之内（数据文件本身不变）",
        )

    def handle(self, *args, name, root, today_in_phase=None, **options):
        if not seed_path(name).is_file():
            raise CommandError(f"没有种子“{name}”；可用：{'、'.join(seed_names())}")
        organization = Organization.objects.filter(code=root).first()
        if organization is None:
            raise CommandError(f"没有组织代码为“{root}”的党组织")
        data = seed_data(name)
        if today_in_phase is not None:
            try:
                data = shifted(data, timezone.localdate(), today_in_phase)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        try:
            with audit.acting(None, audit.Source.COMMAND):
                result = campaign_load(root=organization, data=data)
        except CampaignDataError as exc:
            raise CommandError("活动数据有误：\n" + "\n".join(exc.problems)) from None
        campaign = result.campaign
        if not result.created:
            self.stdout.write(f"“{organization.name}”已有活动“{campaign.name}”，未作改动。")
            return
        self.stdout.write(
            f"已在“{organization.name}”创建活动“{campaign.name}”："
            f"{campaign.phases.count()} 个阶段，{campaign.rubrics.count()} 套评价标准，"
            f"{campaign.sector_guidance.count()} 条分类指导，{campaign.milestones.count()} 个时间节点。"
        )
