"""The organisation tree (党组织), sectors, members (党员) and role grants."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey

from core.documents import Organ, pattern_problems
from orgs.rules import default_issuing_organ, default_number_pattern, member_problems

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", _("只能包含字母、数字、下划线、点和连字符")
)
phone_validator = RegexValidator(r"^[0-9+()\- ]{5,32}$", _("电话号码格式不正确"))


class Sector(models.Model):
    """领域/类别: admin-configurable; sector guidance hangs off it in a campaign."""

    name = models.CharField(_("名称"), max_length=32, unique=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("领域")
        verbose_name_plural = _("领域")

    def __str__(self) -> str:
        return self.name


class Organization(MPTTModel):
    """党组织. Each root (a district committee) is its own MPTT tree."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("党委")
        WORKING_COMMITTEE = "working_committee", _("党工委")
        LEADING_GROUP = "leading_group", _("党组")
        GENERAL_BRANCH = "general_branch", _("党总支")
        BRANCH = "branch", _("党支部")
        TEMPORARY_COMMITTEE = "temporary_committee", _("临时党委")
        TEMPORARY_GENERAL_BRANCH = "temporary_general_branch", _("临时党总支")
        TEMPORARY_BRANCH = "temporary_branch", _("临时党支部")

    code = models.CharField(_("组织代码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("组织名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=64, blank=True)
    kind = models.CharField(_("组织类型"), max_length=32, choices=Kind.choices)
    sector = models.ForeignKey(
        Sector, verbose_name=_("所属领域"), on_delete=models.PROTECT, related_name="organizations"
    )
    parent = TreeForeignKey(
        "self",
        verbose_name=_("上级组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    secretary_name = models.CharField(_("书记姓名"), max_length=32, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True, validators=[phone_validator])
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    # What the documents this organisation issues print (core.documents): blank
    # means the default of orgs.rules, shown in the admin next to the field.
    issuing_organ = models.CharField(
        _("发文机关"),
        max_length=128,
        blank=True,
        help_text=_(
            "版头和落款署名。留空时：区委（根组织）为其组织部，如“中共明湖区委组织部”；"
            "其他组织为“中共”加组织名称。"
        ),
    )
    document_number_pattern = models.CharField(
        _("文号格式"),
        max_length=64,
        blank=True,
        help_text=_(
            "如“明组〔{year}〕{number}号”：{year} 为年份，{number} 为当年顺序号（每年从 1 起，"
            "不空号、不重号）。留空时以简称为机关代字（区委为地名首字加“组”）。"
        ),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class MPTTMeta:
        order_insertion_by = ["code"]

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        indexes = [models.Index(fields=["tree_id", "lft", "rght"], name="org_tree_range")]
        constraints = [
            models.CheckConstraint(condition=Q(rght__gt=F("lft")), name="org_rght_after_lft"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def subtree_organization_count(self) -> int:
        """Organisations in the subtree, this one included (free from the nested set)."""
        return (self.rght - self.lft + 1) // 2

    @property
    def document_organ(self) -> str:
        """发文机关 of the documents this organisation issues: configured, else the default."""
        return self.issuing_organ.strip() or default_issuing_organ(
            self.name, is_root=self.parent_id is None
        )

    @property
    def document_pattern(self) -> str:
        """文号 pattern of its documents: configured, else the default."""
        return self.document_number_pattern.strip() or default_number_pattern(
            self.name, self.short_name, is_root=self.parent_id is None
        )

    def as_organ(self) -> Organ:
        """This organisation as the issuer of a document (core.documents numbers it)."""
        return Organ(key=self.pk, name=self.document_organ, number_pattern=self.document_pattern)

    def clean(self) -> None:
        if self.document_number_pattern.strip():
            problems = pattern_problems(self.document_number_pattern.strip())
            if problems:
                raise ValidationError({"document_number_pattern": problems})


class Member(models.Model):
    """党员. Belongs to one organisation at a time; transfers keep history."""

    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Category(models.TextChoices):
        FULL = "full", _("正式党员")
        PROBATIONARY = "probationary", _("预备党员")

    # Unique through a constraint, not unique=True: on PostgreSQL that would add a
    # second (LIKE) index that no query uses and every import pays for.
    number = models.CharField(_("党员编号"), max_length=32, validators=[code_validator])
    name = models.CharField(_("姓名"), max_length=32)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    joined_on = models.DateField(_("入党日期"))
    category = models.CharField(_("党员类别"), max_length=16, choices=Category.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("所在党组织"),
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # member_org_number (organization, number) serves it
    )
    post = models.CharField(_("工作岗位"), max_length=64, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True)  # format: orgs.rules
    # Database defaults too, so a bulk COPY can leave these columns out.
    is_leading_cadre = models.BooleanField(_("党员领导干部"), default=False, db_default=False)
    is_party_worker = models.BooleanField(_("党务工作者"), default=False, db_default=False)
    # At most one member per login, by a partial unique index: most members have
    # no login, and a plain unique index would take a NULL entry for each of them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="member_records",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["organization_id", "number"]
        # The member list's order within an organisation (the list walks the
        # organisations in tree order and each one's members by number), so a
        # page deep in the list reads its rows instead of sorting the subtree.
        indexes = [models.Index(fields=["organization", "number"], name="member_org_number")]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="member_number_unique"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(user__isnull=False), name="member_user_unique"
            ),
            models.CheckConstraint(
                condition=Q(joined_on__gt=F("birth_date")), name="member_joined_after_birth"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"

    def clean(self) -> None:
        """The member rules (``orgs.rules``), the same ones the importer applies."""
        problems = member_problems(
            birth_date=self.birth_date, joined_on=self.joined_on, mobile=self.mobile
        )
        if problems:
            errors: dict[str, list[str]] = {}
            for name, message in problems:
                errors.setdefault(name, []).append(message)
            raise ValidationError(errors)


class MemberTransfer(models.Model):
    """One move of a member from one organisation to another (组织关系转接)."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="transfers"
    )
    from_organization = models.ForeignKey(
        Organization, verbose_name=_("转出组织"), on_delete=models.PROTECT, related_name="+"
    )
    to_organization = models.ForeignKey(
        Organization, verbose_name=_("转入组织"), on_delete=models.PROTECT, related_name="+"
    )
    transferred_on = models.DateField(_("转接日期"), default=timezone.localdate)
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        ordering = ["-transferred_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_organization=F("to_organization")), name="transfer_moves"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_organization_id} → {self.to_organization_id}"


class Role(models.TextChoices):
    CAMPAIGN_OFFICE = "campaign_office", _("活动办公室")
    COMMITTEE_STAFF = "committee_staff", _("上级党组织")
    BRANCH_SECRETARY = "branch_secretary", _("支部书记")
    MEMBER = "member", _("党员")
    CONTACT_LEADER = "contact_leader", _("联系点领导")


class RoleGrant(models.Model):
    """A user holds a role on an organisation and so reaches its whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("授予时间"), default=timezone.now)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="role_grant_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


class OrganizationTally(models.Model):
    """A stored count for one organisation: its own figure and its subtree's
    (itself included), kept by ``orgs.tallies`` so pages never recount members.

    ``key`` names what is counted: ``units`` (active organisations) and
    ``members`` here; apps above register their own (``plans.<campaign>.<state>``
    and the like) with ``orgs.tallies.register``; ``<key>@<sector>.<kind>`` is the
    part of a figure in organisations of that sector and kind (``.off``: revoked
    ones). A missing row reads as zero.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("党组织"),
        on_delete=models.CASCADE,
        related_name="tallies",
        db_index=False,  # the unique (organization, key) index serves every lookup
    )
    key = models.CharField(_("统计项"), max_length=128)
    own = models.IntegerField(_("本级"), default=0)
    subtree = models.IntegerField(_("含下级"), default=0)

    class Meta:
        verbose_name = _("党组织统计")
        verbose_name_plural = _("党组织统计")
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="org_tally_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.key}: {self.own} / {self.subtree}"
