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

__all__ = ["AwardCategory", "AwardRound", "Quota"]


class AwardRound(models.Model):
    """一次评选表彰 of a campaign: its name, deadlines and 公示 period."""

    class State(models.TextChoices):
        DRAFT = "draft", _("筹备")

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
