"""Review rounds (讲评 / 点评 / 评议): how a campaign reviews (``ReviewKind`` with
its evaluators and grades, all configuration) and each round held
(``ReviewRound``, with one ``Review`` per subject, created when it opens).

States move only through ``reviews.services`` (the ``core.workflow`` engine);
the rules that span rows are in ``reviews.rules``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from campaign.choices import RubricSubject
from campaign.models import Campaign, Milestone, Rubric
from campaign.rules import raise_problems
from orgs.models import Member, Organization
from reviews.choices import BallotForm, EvaluatorKind, Publication, RoundState
from reviews.rules import kind_problems, round_problems


def entered_by_field() -> models.ForeignKey:
    """录入人: who typed a sheet, a tally, a record in (kept if the account goes)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )


class ReviewKind(models.Model):
    """评议类型: one way a campaign reviews (季度讲评, 领导点评, 民主评议 …): whom
    (members or organisations), against which rubric, by which evaluators with
    which weights (``KindEvaluator``), graded how (``GradeBand``)."""

    Subject = RubricSubject
    Ballot = BallotForm

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="review_kinds"
    )
    name = models.CharField(_("名称"), max_length=64)
    subject = models.CharField(_("评议对象"), max_length=16, choices=Subject.choices)
    rubric = models.ForeignKey(
        Rubric, verbose_name=_("评价标准"), on_delete=models.PROTECT, related_name="review_kinds"
    )
    ballot = models.CharField(
        _("评议方式"),
        max_length=16,
        choices=Ballot.choices,
        default=Ballot.SCORES,
        help_text=_("按评价项目逐项打分，或投票评定等次（各等次折合的分数在等次中设置）"),
    )
    min_evaluators = models.PositiveSmallIntegerField(
        _("最少评议人数"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("党员互评、下级评上级、群众评议不足此人数时，不显示汇总结果（保护评议人）"),
    )
    publication = models.CharField(
        _("结果公布范围"), max_length=16, choices=Publication.choices, default=Publication.PARENT
    )
    round_days = models.PositiveSmallIntegerField(
        _("每轮天数"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("按时间节点开启一轮时，在节点日期前多少天开始"),
    )
    milestones = models.ManyToManyField(
        Milestone,
        verbose_name=_("时间节点"),
        blank=True,
        related_name="review_kinds",
        help_text=_("按这些讲评评议节点开启各轮（活动的评议频次）"),
    )
    description = models.TextField(_("说明"), blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评议类型")
        verbose_name_plural = _("评议类型")
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="review_kind_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        raise_problems(kind_problems(self))


class KindEvaluator(models.Model):
    """评议主体 of a kind and its weight in the composite (weights sum to 100)."""

    Evaluator = EvaluatorKind

    kind = models.ForeignKey(
        ReviewKind, verbose_name=_("评议类型"), on_delete=models.CASCADE, related_name="evaluators"
    )
    evaluator = models.CharField(_("评议主体"), max_length=16, choices=Evaluator.choices)
    weight = models.PositiveSmallIntegerField(
        _("权重"),
        validators=[MaxValueValidator(100)],
        help_text=_("在综合得分中的权重；0 表示参加但不计分（如自评陈述）"),
    )

    class Meta:
        verbose_name = _("评议主体")
        verbose_name_plural = _("评议主体（权重合计 100）")
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "evaluator"], name="kind_evaluator_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_evaluator_display()} {self.weight}"


class GradeBand(models.Model):
    """等次: a grade and the lowest composite that earns it (好 ≥ 90 …); for a grade
    vote, the score one vote for it counts as."""

    kind = models.ForeignKey(
        ReviewKind, verbose_name=_("评议类型"), on_delete=models.CASCADE, related_name="grades"
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    label = models.CharField(_("等次"), max_length=16)
    min_score = models.DecimalField(
        _("分数线"), max_digits=5, decimal_places=2, help_text=_("综合得分不低于此分即为该等次")
    )
    vote_score = models.DecimalField(
        _("投票折合分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("等次投票或领导点评评定该等次时折合的分数（百分制）"),
    )

    class Meta:
        verbose_name = _("等次")
        verbose_name_plural = _("等次（从高到低，最后一个的分数线为 0）")
        ordering = ["kind", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "label"], name="grade_band_label_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class ReviewRound(models.Model):
    """一轮讲评评议 on a subtree: 筹备 → 进行中 → 已结束 (scores locked) → 已公布.
    Opening it creates a ``Review`` for every subject in the subtree that takes
    part in the campaign."""

    State = RoundState

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="review_rounds"
    )
    kind = models.ForeignKey(
        ReviewKind, verbose_name=_("评议类型"), on_delete=models.PROTECT, related_name="rounds"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("评议范围"),
        help_text=_("在这个党组织及其下级中开展"),
        on_delete=models.PROTECT,
        related_name="review_rounds",
    )
    period = models.CharField(_("期次"), max_length=64, help_text=_("如：2010年第三季度"))
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("时间节点"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="review_rounds",
    )
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    reopen_reason = models.TextField(_("重新开启理由"), blank=True)
    opened_at = models.DateTimeField(_("开启时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评议轮次")
        verbose_name_plural = _("评议轮次")
        ordering = ["-opens_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "organization", "period"], name="review_round_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="review_round_closes_after_open"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The period and the kind, a word they share said once: 2010年第二季度
        and 季度讲评（党支部） are 2010年第二季度讲评（党支部）."""
        period, kind = self.period, self.kind.name
        for word in ("季度", "年度"):
            if period.endswith(word) and kind.startswith(word):
                kind = kind[len(word) :]
        return f"{period}{kind}"

    def clean(self) -> None:
        raise_problems(round_problems(self))


class Review(models.Model):
    """One subject's review in a round (a member, or an organisation), created
    when the round opens; the stored result is written by the results job."""

    # No index of its own: review_round_org and the rank indexes lead with it.
    round = models.ForeignKey(
        ReviewRound,
        verbose_name=_("评议轮次"),
        on_delete=models.CASCADE,
        related_name="reviews",
        db_index=False,
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("党组织"),
        help_text=_("被评议的党组织；评议党员时为其所在党组织"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("党员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
    )
    composite = models.DecimalField(
        _("综合得分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    grade = models.CharField(_("等次"), max_length=16, blank=True)
    rank_in_parent = models.PositiveIntegerField(_("上级内排名"), null=True, blank=True)
    rank_in_sector = models.PositiveIntegerField(_("领域内排名"), null=True, blank=True)
    breakdown = models.JSONField(_("分项结果"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评议对象")
        verbose_name_plural = _("评议对象")
        ordering = ["round", "organization_id", "member_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organization"],
                condition=Q(member__isnull=True),
                name="review_one_per_unit",
            ),
            models.UniqueConstraint(
                fields=["round", "member"],
                condition=Q(member__isnull=False),
                name="review_one_per_member",
            ),
        ]
        # The results page's order (best first, NULLS LAST), with or without a
        # grade, has its indexes on PostgreSQL only (migrations 0003 and 0005):
        # SQLite cannot index NULLS LAST.
        indexes = [models.Index(fields=["round", "organization"], name="review_round_org")]

    def __str__(self) -> str:
        return str(self.member or self.organization)

    @property
    def subject_name(self) -> str:
        return self.member.name if self.member is not None else self.organization.name


class ScoreSheet(models.Model):
    """评分表: one evaluator's scores of one subject in a round, a score per
    criterion within 0..its maximum (or, for a grade vote, a grade), and an
    opinion. 草稿 → 已提交; locked once the round is closed.

    ``evaluator_key`` names who evaluates, for the one-sheet-per-evaluator rule
    the database enforces: ``u<user id>`` for a person (党员互评, 领导点评), ``o<unit
    id>`` for a unit (支部评议 by the branch, 上级党组织评议, 下级评上级 by a lower
    unit). For the anonymous kinds it is kept only for that rule and turnout:
    no page, export or log shown to users reads it."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")

    review = models.ForeignKey(
        Review, verbose_name=_("评议对象"), on_delete=models.CASCADE, related_name="sheets"
    )
    evaluator = models.CharField(_("评议主体"), max_length=16, choices=EvaluatorKind.choices)
    evaluator_key = models.CharField(_("评议人"), max_length=24)
    scores = models.JSONField(_("各项得分"), default=dict, blank=True)
    grade = models.CharField(_("评定等次"), max_length=16, blank=True)
    opinion = models.TextField(_("意见建议"), blank=True, max_length=2000)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    entered_by = entered_by_field()
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评分表")
        verbose_name_plural = _("评分表")
        ordering = ["review", "evaluator", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "evaluator", "evaluator_key"], name="sheet_one_per_evaluator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_evaluator_display()}·{self.review}"


class PaperTally(models.Model):
    """纸质票汇总: the ballots one evaluator kind cast on paper for a subject (at a
    组织生活会): how many, and the totals per criterion (or the count per grade).
    It counts as that many evaluators."""

    review = models.ForeignKey(
        Review, verbose_name=_("评议对象"), on_delete=models.CASCADE, related_name="tallies"
    )
    evaluator = models.CharField(_("评议主体"), max_length=16, choices=EvaluatorKind.choices)
    ballots = models.PositiveIntegerField(_("有效票数"), validators=[MinValueValidator(1)])
    totals = models.JSONField(_("各项总分"), default=dict, blank=True)
    grade_counts = models.JSONField(_("各等次票数"), default=dict, blank=True)
    entered_by = entered_by_field()
    entered_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("纸质票汇总")
        verbose_name_plural = _("纸质票汇总")
        constraints = [
            models.UniqueConstraint(fields=["review", "evaluator"], name="tally_one_per_kind"),
        ]

    def __str__(self) -> str:
        return _("%(evaluator)s·%(review)s（%(n)s票）") % {
            "evaluator": self.get_evaluator_display(),
            "review": self.review,
            "n": self.ballots,
        }


class Meeting(models.Model):
    """讲评会记录: the branch's meeting for the round (a 专题组织生活会): when,
    where, who came, the 群众代表 present, the minutes."""

    round = models.ForeignKey(
        ReviewRound, verbose_name=_("评议轮次"), on_delete=models.CASCADE, related_name="meetings"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("召开日期"))
    place = models.CharField(_("地点"), max_length=100)
    attendees = models.PositiveIntegerField(_("参会党员人数"))
    public_attendees = models.PositiveIntegerField(_("群众代表人数"), default=0)
    minutes = models.TextField(_("会议记录"), max_length=5000, blank=True)
    entered_by = entered_by_field()
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("讲评会记录")
        verbose_name_plural = _("讲评会记录")
        constraints = [
            models.UniqueConstraint(fields=["round", "organization"], name="meeting_one_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.organization}·{self.round}"


class Statement(models.Model):
    """自评陈述: a member's (or a unit's) own account for the round, written by
    the member, or entered by the secretary for a member without a login."""

    review = models.OneToOneField(
        Review, verbose_name=_("评议对象"), on_delete=models.CASCADE, related_name="statement"
    )
    text = models.TextField(_("陈述内容"), max_length=3000)
    on_behalf = models.BooleanField(_("代为录入"), default=False)
    entered_by = entered_by_field()
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("自评陈述")
        verbose_name_plural = _("自评陈述")

    def __str__(self) -> str:
        return str(self.review)


from reviews.models_rectify import *  # noqa: E402, F403
from reviews.models_spotcheck import *  # noqa: E402, F403
from reviews.models_surveys import *  # noqa: E402, F403
