"""A demo award round for a district's campaign: three categories, their quotas
handed down by the office to the root's children and by the first child's
committee one level further; then the flow: the round opened, the first
child's units nominate members (through the same services and workflow as the
pages, as of the nomination deadline), the levels above endorse, the office
vets most, returns one and rejects one, publishes the list (公示 from now) and
a visitor's objection waits. Before it, a round of the campaign's first half
year (xxxx年“七一”表彰, before today) went the whole way: nominated, endorsed,
vetted, 公示 over, finalised with its 文号, and its 表彰决定, 荣誉证书 and list
made by their jobs. When the campaign is under way and its award moment still
ahead, the round in 公示 is this year's (its deadlines in the weeks before
today) and the moment's round is open for 推荐: members and organisations
nominated, most waiting for the committee to endorse, one for the office's 复审.
Each round names other people. Skipped when the campaign already has a round."""

import datetime as dt
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from awards import document_jobs, nominations, publicity, quotas
from awards.models import AwardCategory, AwardRound, Nomination
from campaign.models import Campaign, Milestone
from core import audit
from core.jobs import job_run, job_start
from core.models import Job
from orgs import selectors
from orgs.models import Role, RoleGrant

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
        district = campaign.organization
        # The child whose committee has staff (the demo's 街道党工委 login), so its
        # units nominate and its committee has 推荐 to endorse; else the first.
        children = selectors.children(district).filter(is_active=True)
        staffed = children.filter(
            pk__in=RoleGrant.objects.filter(role=Role.COMMITTEE_STAFF).values("organization")
        )
        first = staffed.first() or children.first()
        today = timezone.localdate()
        past = dt.date(today.year, 6, 30)
        past = past if past < today else dt.date(today.year - 1, 6, 30)
        with audit.acting(admin, audit.Source.COMMAND):
            if campaign.start_date + dt.timedelta(days=30) <= past < moment:
                with transaction.atomic():
                    done = self._round(
                        campaign, None, f"{past.year}年“七一”表彰", past, admin, first
                    )
                    made = self.flow(done, admin, first)
                self.finish(done, admin, past - dt.timedelta(days=2))
                self.stdout.write(
                    f"已生成评选表彰：{done}（推荐对象 {made} 个，已表彰，文号 {done.decision_number}）"
                )
            name = milestone.name if milestone else "创先争优表彰"
            if campaign.start_date + dt.timedelta(days=30) <= today and moment > today:
                # A campaign under way: a round in 公示 now (its deadlines in the
                # weeks before), and the moment's round still open for 推荐.
                with transaction.atomic():
                    shown = self._round(
                        campaign, None, f"{today.year}年度创先争优表彰", today, admin, first
                    )
                    made = self.flow(shown, admin, first, skip=2)
                self.stdout.write(
                    f"已生成评选表彰：{shown}（推荐对象 {made} 个，{shown.get_state_display()}）"
                )
                with transaction.atomic():
                    round_ = self._round(campaign, milestone, name, moment, admin, first)
                    made = self.nominating(round_, admin, first, skip=4)
            else:
                with transaction.atomic():
                    round_ = self._round(campaign, milestone, name, moment, admin, first)
                    made = self.flow(round_, admin, first)
        self.stdout.write(
            f"已生成评选表彰：{round_}（{len(CATEGORIES)} 个表彰项目，名额已分配；"
            f"推荐对象 {made} 个，{round_.get_state_display()}）"
        )

    def _round(self, campaign, milestone, name, moment, admin, first) -> AwardRound:
        """A round for the award moment with the three categories, their quotas
        handed down by the office and by the first child's committee."""
        nominate = max(campaign.start_date, moment - dt.timedelta(days=30))
        round_ = AwardRound(
            campaign=campaign,
            milestone=milestone,
            name=name,
            nomination_deadline=nominate,
            endorsement_deadline=max(nominate, moment - dt.timedelta(days=20)),
            review_deadline=max(nominate, moment - dt.timedelta(days=10)),
        )
        round_.full_clean()
        round_.save()
        audit.record(round_, audit.Action.CREATE, organization_id=campaign.organization_id)
        district = campaign.organization
        for position, (label, subject, total, basis) in enumerate(CATEGORIES):
            category = AwardCategory(
                round=round_,
                name=label,
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
        return round_

    def finish(self, round_: AwardRound, admin, decided: dt.date) -> None:
        """The objection dismissed, 公示 moved back so it is over, the round
        finalised on ``decided`` by its job, and its documents made by theirs."""
        for objection in round_.objections.filter(state="open"):
            publicity.objection_resolve(
                objection=objection, user=admin, upheld=False, reason="经核实，数字与记录相符"
            )
        round_.refresh_from_db()
        if round_.state != AwardRound.State.PUBLICITY:
            return
        ends = timezone.make_aware(dt.datetime.combine(decided, dt.time()))
        AwardRound.objects.filter(pk=round_.pk).update(
            publicity_starts_at=ends - dt.timedelta(days=round_.publicity_days),
            publicity_ends_at=ends,
        )
        round_.refresh_from_db()
        # 表彰 is a job, as from the round page; with a broker it may still be
        # queued, so it runs here (the worker's delivery then finds it taken).
        with transaction.atomic():
            job, _started = publicity.finalise_start(
                round_=round_, user=admin, decision_date=decided
            )
        job_run(job.pk)
        job.refresh_from_db()
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(f"“{round_}”表彰未完成：{job.error or job.get_status_display()}")
        round_.refresh_from_db()
        for kind, params in (
            (document_jobs.DECISION, {}),
            (document_jobs.CERTIFICATES, {}),
            (document_jobs.LIST, {"format": "xlsx"}),
        ):
            with transaction.atomic():
                job_start(kind=kind, user=admin, params={"round": round_.pk, **params})

    def _units(self, category: AwardCategory, first) -> list:
        return [
            q.organization
            for q in category.quotas.filter(organization__parent=first, amount__gt=0)
            .select_related("organization")
            .order_by("organization__lft")[:4]
        ]

    def _nominate(self, admin, category: AwardCategory, units, skip: int, per_unit: int) -> list:
        """Each unit's nominations: candidates ``skip`` on (so two rounds name
        different people), through the same service as the page."""
        made: list[Nomination] = []
        for unit in units:
            for subject in nominations.candidates(category, unit)[skip : skip + per_unit]:
                name = subject.name
                if category.subject != AwardCategory.Subject.ORGANIZATION:
                    name += "同志"
                try:
                    made.append(
                        nominations.nomination_create(
                            user=admin,
                            category=category,
                            unit=unit,
                            subject=subject,
                            summary=f"{name}立足岗位、带头践诺，群众评价好",
                            deeds=(
                                f"{name}在创先争优活动中立足本职、争创一流，"
                                "带头公开承诺并逐项兑现，帮助群众解决实际困难，"
                                "所在党组织和群众评价较高。"
                            ),
                        )
                    )
                except nominations.NominationError:
                    continue
        return made

    def nominating(self, round_: AwardRound, admin, first, skip: int) -> int:
        """The round open for 推荐 as of today: members and organisations
        nominated by the first child's units, most waiting for the first
        child's committee to endorse, one endorsed up to the office's 复审."""
        if first is None:
            return 0
        publicity.round_move(round_=round_, verb="open", user=admin)
        round_.refresh_from_db()
        made: list[Nomination] = []
        # Organisations: none was nominated before, so the first ones.
        for subject, offset in (
            (AwardCategory.Subject.MEMBER, skip),
            (AwardCategory.Subject.ORGANIZATION, 0),
        ):
            category = round_.categories.get(subject=subject)
            made += self._nominate(admin, category, self._units(category, first), offset, 1)
        if made:
            n = made[0]
            while n.state == Nomination.State.ENDORSING:
                n = nominations.move(nomination=n, verb="endorse", user=admin, reason="同意")
        return len(made)

    def flow(self, round_: AwardRound, admin, first, skip: int = 0) -> int:
        """Nominations in several states and the round in 公示 (see the module)."""
        if first is None:
            return 0
        publicity.round_move(round_=round_, verb="open", user=admin)
        round_.refresh_from_db()
        category = round_.categories.get(subject=AwardCategory.Subject.MEMBER)
        # As of the deadline: the round's dates are in the past.
        with mock.patch.object(nominations, "today", lambda: round_.nomination_deadline):
            made = self._nominate(admin, category, self._units(category, first), skip, 2)
            for n in made:
                while n.state == Nomination.State.ENDORSING:
                    n = nominations.move(nomination=n, verb="endorse", user=admin, reason="同意")
            for i, n in enumerate(made):
                if i == 1:
                    nominations.move(
                        nomination=n, verb="return", user=admin, reason="事迹材料不够具体"
                    )
                elif i == 2:
                    nominations.move(nomination=n, verb="reject", user=admin, reason="条件不够突出")
                else:
                    nominations.move(nomination=n, verb="vet", user=admin)
        if any(
            n.state == Nomination.State.ENDORSED for n in Nomination.objects.filter(round=round_)
        ):
            return len(made)
        try:
            publicity.round_move(round_=round_, verb="publish", user=admin)
        except publicity.RoundError:
            return len(made)
        round_.refresh_from_db()
        vetted = round_.nominations.filter(state=Nomination.State.VETTED).first()
        if vetted is not None:
            publicity.objection_add(
                round_=round_,
                nomination_pk=vetted.pk,
                text="该同志的事迹材料中有的数字与实际不符，请核实。",
                contact="",
                address="192.0.2.10",
            )
        return len(made)
