"""评选表彰 (issue 12), first part: award rounds, their categories and the
quotas (名额) handed down the tree.

``AwardRound`` is one award moment of a campaign (2011年“七一”表彰), optionally
from one of its award milestones, with the deadlines of 推荐, 审核, 复审 and the
公示 period. ``AwardCategory`` is what is awarded in the round (先进基层党组织,
优秀共产党员, 优秀党务工作者, 红旗党组织 …) with its total quota, the basis the
quota is shared out by (members or branches) and a minimum per child. ``Quota``
is one organisation's number of a category: the campaign root's is the total;
every other one was handed down by its parent (``awards.quotas``), which may
adjust it with a reason. Every quota change is an audit entry (``core.audit``),
the quota page's history.

The rules that span fields are in ``awards.rules`` (used by ``clean()`` and the
admin); the writes are in ``awards.quotas``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awards import rules

__all__ = [
    "Award",
    "AwardCategory",
    "AwardRound",
    "EligibilityRule",
    "Endorsement",
    "Nomination",
    "NominationPhoto",
    "Objection",
    "Quota",
]


class AwardRound(models.Model):
    """一次评选表彰 of a campaign: its name, deadlines and 公示 period."""

    class State(models.TextChoices):
        DRAFT = "draft", _("筹备")
        NOMINATING = "nominating", _("推荐评审")
        PUBLICITY = "publicity", _("公示中")
        FINISHED = "finished", _("已表彰")

    campaign = models.ForeignKey(
        "campaign.Campaign",
        verbose_name=_("活动"),
        on_delete=models.PROTECT,
        related_name="award_rounds",
    )
    milestone = models.ForeignKey(
        "campaign.Milestone",
        verbose_name=_("表彰节点"),
        help_text=_("活动的表彰时间节点（可不填）"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="award_rounds",
        limit_choices_to={"kind": "award"},
    )
    name = models.CharField(_("名称"), max_length=100)
    nomination_deadline = models.DateField(_("推荐截止日期"))
    endorsement_deadline = models.DateField(_("审核截止日期"))
    review_deadline = models.DateField(_("复审截止日期"))
    publicity_days = models.PositiveSmallIntegerField(
        _("公示天数"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    publicity_starts_at = models.DateTimeField(_("公示开始时间"), null=True, blank=True)
    publicity_ends_at = models.DateTimeField(_("公示结束时间"), null=True, blank=True)
    decision_number = models.CharField(_("表彰决定文号"), max_length=64, blank=True)
    decision_date = models.DateField(_("成文日期"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("表彰时间"), null=True, blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("评选表彰")
        verbose_name_plural = _("评选表彰")
        ordering = ["campaign", "nomination_deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="award_round_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        rules.raise_problems(rules.round_problems(self))


class AwardCategory(models.Model):
    """表彰项目 of a round: who is awarded, how many in all, and how the quota is
    shared out among the children (by members or branches, at least
    ``minimum_per_child`` each)."""

    class Subject(models.TextChoices):
        ORGANIZATION = "organization", _("党组织")
        MEMBER = "member", _("党员")
        PARTY_WORKER = "party_worker", _("党务工作者")

    class Basis(models.TextChoices):
        MEMBERS = "members", _("按党员数")
        BRANCHES = "branches", _("按党支部数")

    round = models.ForeignKey(
        AwardRound, verbose_name=_("评选表彰"), on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("表彰项目"), max_length=100)
    subject = models.CharField(_("表彰对象"), max_length=16, choices=Subject.choices)
    total_quota = models.PositiveIntegerField(_("名额总数"))
    basis = models.CharField(
        _("分配依据"), max_length=16, choices=Basis.choices, default=Basis.MEMBERS
    )
    minimum_per_child = models.PositiveIntegerField(
        _("每个下级至少"), default=0, help_text=_("分配时每个下级党组织至少得到的名额")
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("表彰项目")
        verbose_name_plural = _("表彰项目")
        ordering = ["round", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="award_category_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.round}·{self.name}"

    def clean(self) -> None:
        rules.raise_problems(rules.category_problems(self))


class Quota(models.Model):
    """One organisation's 名额 of a category. The campaign root's is the
    category's total (``Source.OFFICE``); a child's was handed down by its
    parent (``ALLOCATED``, largest remainder) or set by the parent with a reason
    (``OVERRIDDEN``). ``kept``: the organisation confirmed it keeps its quota
    rather than handing it down; ``allocated``: it handed it down."""

    class Source(models.TextChoices):
        OFFICE = "office", _("活动办公室设定")
        ALLOCATED = "allocated", _("按比例分配")
        OVERRIDDEN = "overridden", _("上级调整")

    category = models.ForeignKey(
        AwardCategory, verbose_name=_("表彰项目"), on_delete=models.CASCADE, related_name="quotas"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.PositiveIntegerField(_("名额"))
    basis_count = models.PositiveIntegerField(_("分配基数"), default=0)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    reason = models.TextField(_("调整理由"), blank=True, max_length=2000)
    allocated = models.BooleanField(_("已分配到下级"), default=False)
    kept = models.BooleanField(_("确认不再下分"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("变更时间"), default=timezone.now)

    class Meta:
        verbose_name = _("名额")
        verbose_name_plural = _("名额")
        ordering = ["category", "organization__tree_id", "organization__lft"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "organization"], name="quota_one_per_organization"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}·{self.category.name}"


class EligibilityRule(models.Model):
    """评选条件: one rule of a category, chosen from a configured set; what each
    kind reads and how it is judged is in ``awards.eligibility``, which fields
    each kind takes in ``awards.rules.eligibility_problems``."""

    class Kind(models.TextChoices):
        SCORE = "score", _("评议得分或等次")
        SATISFACTION = "satisfaction", _("群众满意率")
        RECTIFICATION = "rectification", _("无逾期或未核验的整改事项")
        PLEDGES = "pledges", _("承诺兑现")
        FULL_MEMBER = "full_member", _("仅限正式党员")
        NOT_AWARDED = "not_awarded", _("近几次未获同一称号")

    category = models.ForeignKey(
        AwardCategory, verbose_name=_("表彰项目"), on_delete=models.CASCADE, related_name="rules"
    )
    kind = models.CharField(_("条件"), max_length=16, choices=Kind.choices)
    review_rounds = models.ManyToManyField(
        "reviews.ReviewRound",
        verbose_name=_("评议轮次"),
        blank=True,
        related_name="+",
        help_text=_("评议得分或等次：在这些评议轮次中都须达到"),
    )
    min_score = models.DecimalField(
        _("综合得分不低于"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    grades = models.CharField(
        _("等次为"), max_length=64, blank=True, help_text=_("多个等次用顿号分隔，如：好、较好")
    )
    min_percent = models.DecimalField(
        _("不低于（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("群众满意率或承诺兑现率；承诺兑现不填表示须全部已兑现"),
    )
    rounds_back = models.PositiveSmallIntegerField(
        _("近几次评选"), null=True, blank=True, help_text=_("近几次评选表彰中未获同一称号")
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评选条件")
        verbose_name_plural = _("评选条件")
        ordering = ["category_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "kind"], name="eligibility_rule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.category.name}·{self.get_kind_display()}"

    def clean(self) -> None:
        rules.raise_problems(rules.eligibility_problems(self, None))


def _subject_q() -> models.Q:
    return models.Q(organization__isnull=False, member__isnull=True) | models.Q(
        organization__isnull=True, member__isnull=False
    )


class Nomination(models.Model):
    """推荐对象: a unit's nomination of an organisation or a member for a
    category, with its 事迹材料, the facts its rules read when it was made and
    their result. 层层推荐 (``Endorsement``, one row per ancestor and cycle),
    组织复审 by the office, 公示, 表彰; every move is ``awards.nominations``'
    workflow."""

    class State(models.TextChoices):
        ENDORSING = "endorsing", _("逐级审核中")
        ENDORSED = "endorsed", _("待组织复审")
        VETTED = "vetted", _("复审通过")
        RETURNED = "returned", _("退回")
        REJECTED = "rejected", _("未通过")
        WITHDRAWN = "withdrawn", _("已撤销")
        AWARDED = "awarded", _("已表彰")

    # What no longer takes a quota place, and may be nominated again.
    CLOSED = (State.REJECTED, State.WITHDRAWN)

    round = models.ForeignKey(
        AwardRound, verbose_name=_("评选表彰"), on_delete=models.CASCADE, related_name="nominations"
    )
    category = models.ForeignKey(
        AwardCategory,
        verbose_name=_("表彰项目"),
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    unit = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("推荐单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("推荐党组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    member = models.ForeignKey(
        "orgs.Member",
        verbose_name=_("推荐党员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(_("简要事迹"), max_length=150, help_text=_("公示时显示，150 字以内"))
    deeds = models.TextField(_("事迹材料"), max_length=3000)
    facts = models.JSONField(_("评选条件核对"), default=list, blank=True)
    eligible = models.BooleanField(_("符合评选条件"), default=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.ENDORSING
    )
    cycle = models.PositiveSmallIntegerField(_("报送次数"), default=1)
    return_reason = models.TextField(_("退回理由"), blank=True)
    reason = models.TextField(_("理由"), blank=True)
    moved_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("推荐人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("推荐时间"), default=timezone.now)

    class Meta:
        verbose_name = _("推荐对象")
        verbose_name_plural = _("推荐对象")
        ordering = ["round_id", "category_id", "id"]
        constraints = [
            models.CheckConstraint(condition=_subject_q(), name="nomination_one_subject"),
            # 不重复推荐: one open nomination of a subject per category.
            models.UniqueConstraint(
                fields=["category", "organization"],
                condition=models.Q(organization__isnull=False)
                & ~models.Q(state__in=["rejected", "withdrawn"]),
                name="nomination_once_per_organization",
            ),
            models.UniqueConstraint(
                fields=["category", "member"],
                condition=models.Q(member__isnull=False)
                & ~models.Q(state__in=["rejected", "withdrawn"]),
                name="nomination_once_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name}·{self.category.name}"

    @property
    def subject_name(self) -> str:
        subject = self.member if self.member_id else self.organization
        return subject.name if subject is not None else ""


def nomination_photo_path(instance: "NominationPhoto", filename: str) -> str:
    return f"awards/{instance.nomination_id}/{filename}"


class NominationPhoto(models.Model):
    """事迹照片, checked by its content and taken without its metadata."""

    nomination = models.ForeignKey(
        Nomination, verbose_name=_("推荐对象"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("照片"), upload_to=nomination_photo_path)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("事迹照片")
        verbose_name_plural = _("事迹照片")
        ordering = ["nomination_id", "id"]

    def __str__(self) -> str:
        return str(self.image.name)


class Endorsement(models.Model):
    """层层推荐: one ancestor's decision on a nomination in one cycle (a
    returned nomination sent again is endorsed again from the bottom)."""

    class Decision(models.TextChoices):
        ENDORSED = "endorsed", _("同意推荐")
        REJECTED = "rejected", _("不同意")

    nomination = models.ForeignKey(
        Nomination,
        verbose_name=_("推荐对象"),
        on_delete=models.CASCADE,
        related_name="endorsements",
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("审核单位"), on_delete=models.PROTECT, related_name="+"
    )
    cycle = models.PositiveSmallIntegerField(_("报送次数"), default=1)
    decision = models.CharField(_("意见"), max_length=16, choices=Decision.choices)
    reason = models.TextField(_("理由"), blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), default=timezone.now)

    class Meta:
        verbose_name = _("逐级审核")
        verbose_name_plural = _("逐级审核")
        ordering = ["nomination_id", "cycle", "decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["nomination", "organization", "cycle"], name="endorsement_once_per_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}·{self.get_decision_display()}"


class Objection(models.Model):
    """异议: lodged by anyone during 公示 about one nominee; the office resolves
    it (属实: the nomination is withdrawn; 不属实: dismissed with a reason). The
    visitor's address is kept only as a keyed hash (``core.public``)."""

    class State(models.TextChoices):
        OPEN = "open", _("处理中")
        UPHELD = "upheld", _("属实")
        DISMISSED = "dismissed", _("不属实")

    round = models.ForeignKey(
        AwardRound, verbose_name=_("评选表彰"), on_delete=models.CASCADE, related_name="objections"
    )
    nomination = models.ForeignKey(
        Nomination, verbose_name=_("异议对象"), on_delete=models.CASCADE, related_name="objections"
    )
    text = models.TextField(_("异议内容"), max_length=1000)
    contact = models.CharField(_("联系方式"), max_length=64, blank=True)
    address_hash = models.CharField(max_length=64, editable=False)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.OPEN)
    resolution = models.TextField(_("处理意见"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["round_id", "created_at", "id"]
        indexes = [models.Index(fields=["address_hash", "created_at"], name="objection_address")]

    def __str__(self) -> str:
        return f"{self.nomination_id}·{self.get_state_display()}"


class Award(models.Model):
    """表彰: one awardee of a finalised round, what later rounds read (近几次未获
    同一称号) and what the decision, the certificates and the list print."""

    round = models.ForeignKey(
        AwardRound, verbose_name=_("评选表彰"), on_delete=models.PROTECT, related_name="awards"
    )
    category = models.ForeignKey(
        AwardCategory, verbose_name=_("表彰项目"), on_delete=models.PROTECT, related_name="awards"
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("受表彰党组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    member = models.ForeignKey(
        "orgs.Member",
        verbose_name=_("受表彰党员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    unit = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("推荐单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("称号"), max_length=100)
    nomination = models.OneToOneField(
        Nomination,
        verbose_name=_("推荐对象"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="award",
    )
    awarded_on = models.DateField(_("表彰日期"))

    class Meta:
        verbose_name = _("表彰记录")
        verbose_name_plural = _("表彰记录")
        ordering = ["round_id", "category_id", "id"]
        constraints = [models.CheckConstraint(condition=_subject_q(), name="award_one_subject")]
        indexes = [
            models.Index(fields=["title", "member"], name="award_title_member"),
            models.Index(fields=["title", "organization"], name="award_title_org"),
        ]

    def __str__(self) -> str:
        subject = self.member if self.member_id else self.organization
        return f"{subject.name if subject else ''}·{self.title}"
