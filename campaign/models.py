"""A 创先争优 campaign as a district configures it: phases, rubrics, sector guidance,
contact points and dated milestones.

Everything that differs between the seed documents (criteria, number of phases,
award moments, review cadence) is rows here, not code. The rules that span
rows (phases in order and not overlapping, weights summing to the total) live
in ``campaign.rules`` so the admin and the seed loader apply the same ones;
``clean()`` here checks what one row can check on its own.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.choices import CampaignStatus, PlanField, RubricSubject
from campaign.rules import (
    campaign_problems,
    contact_point_problems,
    milestone_problems,
    phase_problems,
    raise_problems,
)
from orgs.models import Organization, Sector


class Campaign(models.Model):
    """创先争优活动, issued on a root organisation (a district committee)."""

    Status = CampaignStatus

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("党组织"),
        help_text=_("活动所在的根党组织（没有上级组织的党组织，如区委）"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    name = models.CharField(_("活动名称"), max_length=200)
    document_number = models.CharField(
        _("文号"), max_length=64, blank=True, help_text=_("如：徐委组〔2010〕30号")
    )
    theme = models.CharField(_("活动主题"), max_length=200, blank=True)
    issuing_organ = models.CharField(_("发文机关"), max_length=128, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    description = models.TextField(_("活动说明"), blank=True)
    separate_approver = models.BooleanField(
        _("承诺审核人须不同于录入人"),
        default=True,
        help_text=_("开启时，录入或最后修改一份承诺的人不能审核通过它，须由另一位有审核权的人审核"),
    )

    # 参加范围: which units take part (file a plan, are reviewed). Empty means all;
    # the one place that applies it is ``campaign.selectors.plan_units_q``.
    participating_sectors = models.ManyToManyField(
        Sector,
        verbose_name=_("参加的领域"),
        blank=True,
        related_name="+",
        help_text=_("只有这些领域的党组织参加本次活动（报送实施方案等）；不选为全部领域"),
    )
    participating_kinds = models.JSONField(
        _("参加的组织类型"),
        default=list,
        blank=True,
        help_text=_("只有这些类型的党组织参加本次活动；不选为全部类型"),
    )

    class Meta:
        verbose_name = _("创先争优活动")
        verbose_name_plural = _("创先争优活动")
        ordering = ["-start_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="campaign_name_unique_per_root"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="campaign_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        raise_problems(campaign_problems(self))

    def current_phase(self, on: dt.date | None = None) -> "Phase | None":
        """The phase whose dates contain ``on`` (today by default), or None between phases."""
        on = on or timezone.localdate()
        return self.phases.filter(start_date__lte=on, end_date__gte=on).first()

    def participation_text(self) -> str:
        """参加范围 in words: 全区所有党组织, or the sectors and kinds named."""
        sectors = "、".join(s.name for s in self.participating_sectors.all())
        chosen = set(self.participating_kinds or ())
        kinds = "、".join(str(k.label) for k in Organization.Kind if k.value in chosen)
        if not sectors and not kinds:
            return str(_("全部党组织"))
        parts = [
            str(_("领域：%(s)s") % {"s": sectors}) if sectors else "",
            str(_("组织类型：%(k)s") % {"k": kinds}) if kinds else "",
        ]
        return "；".join(p for p in parts if p)


class Phase(models.Model):
    """时段/阶段: ordered, dated, one at a time."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="phases"
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("阶段名称"), max_length=64)
    focus = models.TextField(_("工作重点"), blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))

    class Meta:
        verbose_name = _("活动阶段")
        verbose_name_plural = _("活动阶段")
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="phase_position_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="phase_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        raise_problems(phase_problems(_parent(self, "campaign"), self))


class PlanSection(models.Model):
    """方案栏目: a text field of the plan as this campaign's document names it.

    One document asks for the 四个明确 (实践主题、活动载体、创建条件、承诺内容),
    another for 创先目标、重点任务、时间进度和具体措施: each campaign lists the
    fields it uses, in order, with its own label, guidance and whether the plan
    can be filed without it. A campaign with no rows uses ``DEFAULT_PLAN_SECTIONS``
    (``campaign.plans.sections``).
    """

    Field = PlanField

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="plan_sections"
    )
    field = models.CharField(
        _("栏目"),
        max_length=16,
        choices=Field.choices,
        help_text=_("方案的六个文本栏之一（括号内为默认名称）；名称可改用本活动文件的用语"),
    )
    label = models.CharField(_("名称"), max_length=32)
    help_text = models.CharField(_("填写说明"), max_length=200, blank=True)
    required = models.BooleanField(_("必填"), default=True, help_text=_("未填写时方案不能报送"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("方案栏目")
        verbose_name_plural = _(
            "方案栏目（不设置时使用默认栏目：四个明确必填，另有工作措施、进度安排）"
        )
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "field"], name="plan_section_field_unique"),
            models.UniqueConstraint(fields=["campaign", "label"], name="plan_section_label_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class Rubric(models.Model):
    """评价标准: a named set of criteria for organisations or for members (五个好, 五带头 …)."""

    Subject = RubricSubject

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="rubrics"
    )
    name = models.CharField(_("名称"), max_length=100)
    subject = models.CharField(_("评价对象"), max_length=16, choices=Subject.choices)
    total_weight = models.PositiveSmallIntegerField(
        _("总权重"),
        default=100,
        validators=[MinValueValidator(1)],
        help_text=_("各项权重之和必须等于此数"),
    )
    description = models.TextField(_("说明"), blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评价标准")
        verbose_name_plural = _("评价标准")
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="rubric_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """One item of a rubric (领导班子好, 带头学习提高 …)."""

    rubric = models.ForeignKey(
        Rubric, verbose_name=_("评价标准"), on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.CharField(_("编号"), max_length=16)
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("具体要求"), blank=True)
    weight = models.PositiveSmallIntegerField(_("权重"), validators=[MinValueValidator(1)])
    max_score = models.PositiveSmallIntegerField(
        _("满分"), validators=[MinValueValidator(1)], help_text=_("评分时本项可给的最高分")
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评价项目")
        verbose_name_plural = _("评价项目")
        ordering = ["rubric", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="criterion_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class SectorGuidance(models.Model):
    """分类指导: what a campaign asks of one sector (带富先锋, 和谐先锋 …)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="sector_guidance"
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("领域"), on_delete=models.PROTECT, related_name="guidance"
    )
    title = models.CharField(_("标题"), max_length=100)
    requirements = models.TextField(_("具体要求"), blank=True)

    class Meta:
        verbose_name = _("分类指导")
        verbose_name_plural = _("分类指导")
        ordering = ["campaign", "sector__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sector"], name="guidance_one_per_sector"),
        ]

    def __str__(self) -> str:
        return f"{self.sector}：{self.title}"


class ContactPoint(models.Model):
    """联系点: a leader who follows (and comments on) an organisation during the campaign."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="contact_points"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("联系领导"),
        on_delete=models.CASCADE,
        related_name="contact_points",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("联系党组织"),
        on_delete=models.CASCADE,
        related_name="contact_points",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("联系点")
        verbose_name_plural = _("联系点")
        ordering = ["campaign", "leader", "organization"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "leader", "organization"], name="contact_point_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader} → {self.organization}"

    def clean(self) -> None:
        raise_problems(contact_point_problems(_parent(self, "campaign"), self))


class Milestone(models.Model):
    """A dated point of a campaign: an award moment, a review round, a check and report."""

    class Kind(models.TextChoices):
        AWARD = "award", _("表彰")
        REVIEW = "review", _("讲评评议")
        REPORT = "report", _("检查通报")
        OTHER = "other", _("其他")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="milestones"
    )
    name = models.CharField(_("名称"), max_length=100)
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("时间节点")
        verbose_name_plural = _("时间节点")
        ordering = ["campaign", "date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name", "date"], name="milestone_unique_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.date:%Y-%m-%d}）"

    def clean(self) -> None:
        raise_problems(milestone_problems(_parent(self, "campaign"), self))


def _parent(obj: models.Model, field: str) -> Campaign | None:
    """The related object if set; None on a new inline row whose parent is not built yet."""
    try:
        return getattr(obj, field)
    except ObjectDoesNotExist:
        return None


class Plan(models.Model):
    """实施方案: one per organisation and campaign, with the 四个明确, filed for 备案.

    States move only through ``campaign.plans`` (草稿 → 已报送 → 已备案 | 退回 →
    已报送 …); the parent organisation or the campaign office accepts or returns.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        ACCEPTED = "accepted", _("已备案")
        RETURNED = "returned", _("退回")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("创先争优活动"), on_delete=models.PROTECT, related_name="plans"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="plans"
    )
    theme = models.CharField(_("实践主题"), max_length=200, blank=True)
    carriers = models.TextField(_("活动载体"), blank=True)
    conditions = models.TextField(_("创建条件"), blank=True)
    commitments = models.TextField(_("承诺内容"), blank=True)
    measures = models.TextField(_("工作措施"), blank=True)
    schedule = models.TextField(_("进度安排"), blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    return_reason = models.TextField(_("退回理由"), blank=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("实施方案")
        verbose_name_plural = _("实施方案")
        ordering = ["campaign_id", "organization_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization"], name="plan_one_per_campaign_and_unit"
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(return_reason=""),
                name="plan_returned_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}·{self.campaign}"


def plan_attachment_path(instance: "PlanAttachment", filename: str) -> str:
    return f"plans/{instance.plan_id}/{filename}"


class PlanAttachment(models.Model):
    """A file filed with a plan (PDF, DOCX or an image), checked by content."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("实施方案"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=plan_attachment_path)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("方案附件")
        verbose_name_plural = _("方案附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


from campaign.models_bulletins import *  # noqa: E402, F403
