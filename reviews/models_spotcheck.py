"""随机抽查 (spot checks): a round of checks drawn by the office from a subtree
(``SpotCheckRound``, with everything needed to draw it again: the seed, the
parameters and the population as it was) and one ``SpotCheck`` per sampled
unit (the checklist prefilled from the data, the checkers' findings).

The draw and every write are in ``reviews.spotcheck``; the models hold fields
and constraints only.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["SpotCheck", "SpotCheckRound"]


class SpotCheckRound(models.Model):
    """一次随机抽查: the sample of units the office drew from a subtree, and how.

    ``population`` is the draw's frame as it was: ``[[organisation id, sector id],
    …]`` ordered by id, the units that could be drawn (active, taking part in
    the campaign, of the chosen kinds). With ``seed`` and the parameters it is
    all a re-draw needs (``reviews.spotcheck.redraw``), so the tree may change
    afterwards without changing what the record says was drawn. ``sample`` is
    the drawn ids, ascending."""

    campaign = models.ForeignKey(
        "campaign.Campaign",
        verbose_name=_("活动"),
        on_delete=models.PROTECT,
        related_name="spot_check_rounds",
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("抽查范围"),
        help_text=_("从这个党组织的下级中抽取"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("名称"), max_length=100)
    size = models.PositiveIntegerField(
        _("抽查数量"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    percent = models.PositiveSmallIntegerField(
        _("抽查比例（%）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    stratify = models.BooleanField(_("按领域分层"), default=True)
    kinds = models.JSONField(
        _("组织类型"), default=list, blank=True, help_text=_("只抽这些类型的党组织；空为全部")
    )
    # 64 random bits do not fit a signed bigint, and SQLite would keep a large
    # numeric as a float: the seed is kept as its decimal digits.
    seed = models.CharField(
        _("随机种子"), max_length=20, validators=[RegexValidator(r"^[0-9]{1,20}$")]
    )
    population = models.JSONField(_("抽样总体"), default=list)
    sample = models.JSONField(_("抽中单位"), default=list)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("抽取时间"), default=timezone.now)

    class Meta:
        verbose_name = _("随机抽查")
        verbose_name_plural = _("随机抽查")
        ordering = ["-drawn_at", "-id"]
        constraints = [
            # k units or p %, never both, never neither.
            models.CheckConstraint(
                condition=Q(size__isnull=False, percent__isnull=True)
                | Q(size__isnull=True, percent__isnull=False),
                name="spot_check_size_or_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SpotCheck(models.Model):
    """检查记录 of one sampled unit: the checklist, prefilled from the data when
    the round is drawn (what the data said is kept in ``prefilled``) and
    corrected by the checkers, and their findings. 待检查 → 已检查.

    ``rectification_id`` is the 整改 opened from the findings
    (``reviews.rectify.rectification_open_from_spot_check`` sets it, once); the
    check's page links to it. A plain id, so the check does not depend on it."""

    class State(models.TextChoices):
        PENDING = "pending", _("待检查")
        CHECKED = "checked", _("已检查")

    round = models.ForeignKey(
        SpotCheckRound, verbose_name=_("随机抽查"), on_delete=models.CASCADE, related_name="checks"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="+"
    )
    plan_filed = models.BooleanField(_("实施方案已报送"), default=False)
    pledges_public = models.BooleanField(_("承诺已公示"), default=False)
    meeting_held = models.BooleanField(_("已召开讲评会"), default=False)
    satisfaction = models.DecimalField(
        _("群众满意率（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    prefilled = models.JSONField(_("数据显示"), default=dict, blank=True)
    findings = models.TextField(_("检查发现的问题"), blank=True, max_length=3000)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    # The Rectification opened from these findings (reviews.rectify sets it).
    rectification_id = models.IntegerField(_("整改事项"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["round", "organization_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organization"], name="spot_check_one_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}·{self.round}"
