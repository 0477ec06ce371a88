"""Load the demo district (明湖区) and one login per role. Runs once: a second call does nothing."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import audit
from core.tabular import Table
from orgs import demo
from orgs.importers import import_members, import_organizations
from orgs.models import Member, Organization, Role, RoleGrant

DEMO_PASSWORD = "mingHu2010"

# username, name, role, organisation code (None: the admin)
LOGINS = [
    ("admin", "系统管理员", None, None),
    ("office", "区创先争优活动办公室", Role.CAMPAIGN_OFFICE, demo.ROOT_CODE),
    ("committee", "第1街道党工委干部", Role.COMMITTEE_STAFF, "MH-JD01"),
    ("secretary", "第1社区第1党支部书记", Role.BRANCH_SECRETARY, "MH-JD01-SQ1-1"),
    ("secretary2", "第1社区第2党支部书记", Role.BRANCH_SECRETARY, "MH-JD01-SQ1-2"),
    ("member", "第1社区第1党支部党员", Role.MEMBER, "MH-JD01-SQ1-1"),
    ("leader", "联系点领导", Role.CONTACT_LEADER, "MH-Z01"),
]


class Command(BaseCommand):
    help = "载入示范区（明湖区）演示数据：约 300 个党组织、5000 名党员和各角色的演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--organizations", type=int, default=300)
        parser.add_argument("--members", type=int, default=5000)

    def handle(self, *args, organizations, members, **options):
        if Organization.objects.filter(code=demo.ROOT_CODE).exists():
            self.stdout.write("演示数据已存在，跳过。")
            self.print_logins()
            return
        district = demo.generate(organizations=organizations, members=members)
        with transaction.atomic(), audit.acting(None, audit.Source.COMMAND):
            for target, rows, headers, run in (
                ("党组织", district.organizations, demo.ORG_HEADERS, import_organizations),
                ("党员", district.members, demo.MEMBER_HEADERS, import_members),
            ):
                report = run(Table(headers=headers, rows=rows), user=None, dry_run=False)
                if not report.ok:
                    raise CommandError(
                        "演示数据有误：" + "; ".join(str(e) for e in report.errors[:5])
                    )
                self.stdout.write(f"{target}：新增 {report.created}")
            self.create_logins()
        self.print_logins()

    def create_logins(self) -> None:
        User = get_user_model()
        for username, name, role, code in LOGINS:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=name,
                is_staff=role is None,
                is_superuser=role is None,
            )
            if role is not None:
                RoleGrant.objects.create(
                    user=user, role=role, organization=Organization.objects.get(code=code)
                )
            if role == Role.MEMBER:
                member = (
                    Member.objects.filter(organization__code=code, user__isnull=True)
                    .order_by("number")
                    .first()
                )
                if member is not None:
                    member.user = user
                    member.save(update_fields=["user"])

    def print_logins(self) -> None:
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, name, role, code in LOGINS:
            label = Role(role).label if role else "系统管理员"
            self.stdout.write(f"  {username:<11} {label}：{name}" + (f"（{code}）" if code else ""))
