"""A demo round of spot checks for a district's running campaign: 10 % of its
branches, stratified by sector, a few of them checked with findings."""

import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from core import audit
from orgs.models import Organization
from reviews.models_spotcheck import SpotCheckRound
from reviews.spotcheck import CHECK_FIELDS, SpotCheckError, spot_check_draw, spot_check_save

FINDINGS = [
    "公示栏承诺内容未及时更新",
    "讲评会记录不完整，缺少群众代表意见",
    "实施方案中活动载体不够具体",
    "未发现问题",
]


class Command(BaseCommand):
    help = (
        "为演示区的活动生成一次随机抽查（按领域分层抽取 10% 的党支部，部分已检查）；已有抽查时跳过"
    )

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")

    def handle(self, *args, root, **options):
        campaign = Campaign.objects.filter(organization__code=root).order_by("-start_date").first()
        if campaign is None:
            raise CommandError(f"“{root}”还没有创先争优活动，请先运行 load_campaign")
        if SpotCheckRound.objects.filter(campaign=campaign).exists():
            self.stdout.write(f"“{campaign.name}”已有随机抽查，跳过。")
            return
        admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            raise CommandError("请先运行 seed_demo")
        rng = random.Random(2011)
        with audit.acting(admin, audit.Source.COMMAND):
            try:
                round_ = spot_check_draw(
                    user=admin,
                    campaign=campaign,
                    organization=campaign.organization,
                    title="创先争优活动随机抽查",
                    percent=10,
                    stratify=True,
                    kinds=[Organization.Kind.BRANCH],
                )
            except SpotCheckError as exc:
                raise CommandError(str(exc)) from None
            checks = list(round_.checks.select_related("round__organization").order_by("pk"))
            for check in checks[: max(1, len(checks) // 3)]:
                values = {name: getattr(check, name) for name in CHECK_FIELDS}
                values["findings"] = rng.choice(FINDINGS)
                spot_check_save(check=check, user=admin, values=values, done=True)
        self.stdout.write(
            f"已生成随机抽查：{round_}（总体 {len(round_.population)} 个，抽中 {len(round_.sample)} 个）"
        )
