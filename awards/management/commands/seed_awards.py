"""A demo award round for a district's campaign: three categories, their quotas
handed down by the office to the root's children and by the first child's
committee one level further. Skipped when the campaign already has a round."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from awards import quotas
from awards.models import AwardCategory, AwardRound
from campaign.models import Campaign, Milestone
from core import audit
from orgs import selectors

CATEGORIES = [
    ("先进基层党组织", AwardCategory.Subject.ORGANIZATION, 40, AwardCategory.Basis.BRANCHES),
    ("优秀共产党员", AwardCategory.Subject.MEMBER, 200, AwardCategory.Basis.MEMBERS),
    ("优秀党务工作者", AwardCategory.Subject.PARTY_WORKER, 60, AwardCategory.Basis.MEMBERS),
]


class Command(BaseCommand):
    help = "为演示区的活动生成一次评选表彰（三个表彰项目，名额已分配到下级）；已有评选表彰时跳过"

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="根党组织的组织代码，如 MH")

    def handle(self, *args, root, **options):
        campaign = Campaign.objects.filter(organization__code=root).order_by("-start_date").first()
        if campaign is None:
            raise CommandError(f"“{root}”还没有创先争优活动，请先运行 load_campaign")
        if AwardRound.objects.filter(campaign=campaign).exists():
            self.stdout.write(f"“{campaign.name}”已有评选表彰，跳过。")
            return
        admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            raise CommandError("请先运行 seed_demo")
        milestone = campaign.milestones.filter(kind=Milestone.Kind.AWARD).order_by("date").first()
        moment = milestone.date if milestone else campaign.start_date + dt.timedelta(days=90)
        nominate = max(campaign.start_date, moment - dt.timedelta(days=30))
        with audit.acting(admin, audit.Source.COMMAND), transaction.atomic():
            round_ = AwardRound(
                campaign=campaign,
                milestone=milestone,
                name=milestone.name if milestone else "创先争优表彰",
                nomination_deadline=nominate,
                endorsement_deadline=max(nominate, moment - dt.timedelta(days=20)),
                review_deadline=max(nominate, moment - dt.timedelta(days=10)),
            )
            round_.full_clean()
            round_.save()
            audit.record(round_, audit.Action.CREATE, organization_id=campaign.organization_id)
            district = campaign.organization
            first = selectors.children(district).filter(is_active=True).first()
            for position, (name, subject, total, basis) in enumerate(CATEGORIES):
                category = AwardCategory(
                    round=round_,
                    name=name,
                    subject=subject,
                    total_quota=total,
                    basis=basis,
                    position=position,
                )
                category.full_clean()
                category.save()
                try:
                    quotas.quota_allocate(user=admin, category=category, organization=district)
                    if first is not None and selectors.children(first).exists():
                        quotas.quota_allocate(user=admin, category=category, organization=first)
                except quotas.QuotaError as exc:
                    raise CommandError(str(exc)) from None
        self.stdout.write(f"已生成评选表彰：{round_}（{len(CATEGORIES)} 个表彰项目，名额已分配）")
