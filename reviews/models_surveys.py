"""群众评议 by one-time code: a ``Survey`` of a campaign (optionally the 群众评议 of
a review round) on a set of subjects (``SurveySubject``: organisations of a
subtree), the code batches issued per subject (``SurveyCodeBatch``, each code a
``SurveyCode`` kept only as a keyed hash), the answers (``SurveyResponse``, web)
and the paper forms counted at a meeting (``SurveyTally``).

Anonymity is in the schema: a response has no column naming its code, no
address and no time finer than the day; the code row only says it was used.
Every write is in ``reviews.surveys``; the figures in ``reviews.survey_results``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DEFAULT_CHOICES",
    "DEFAULT_QUESTIONS",
    "Survey",
    "SurveyAttempt",
    "SurveyCode",
    "SurveyCodeBatch",
    "SurveyFigureDelta",
    "SurveyResponse",
    "SurveySubject",
    "SurveyTally",
]

# Seed 001 (（三）群众评议): the three questions and the three answers.
DEFAULT_QUESTIONS = ["党性观念强不强", "联系服务群众够不够", "发挥先锋模范作用明显不明显"]
# ``satisfied`` answers count towards 满意率; ``score`` is what one answer counts
# as when the survey is the 群众评议 evaluator of a review round (百分制).
DEFAULT_CHOICES = [
    {"label": "满意", "satisfied": True, "score": 100},
    {"label": "基本满意", "satisfied": True, "score": 80},
    {"label": "不满意", "satisfied": False, "score": 0},
]


def default_questions() -> list[str]:
    return list(DEFAULT_QUESTIONS)


def default_choices() -> list[dict]:
    return [dict(c) for c in DEFAULT_CHOICES]


class Survey(models.Model):
    """一次群众评议: questions and answers (configuration, default seed 001's),
    open and close dates, the 满意率 target, and its subjects."""

    campaign = models.ForeignKey(
        "campaign.Campaign",
        verbose_name=_("活动"),
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("评议范围"),
        help_text=_("评议这个党组织之下的党组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    round = models.ForeignKey(
        "reviews.ReviewRound",
        verbose_name=_("评议轮次"),
        help_text=_("作为这一轮评议的群众评议（可不选）"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
    )

    class SubjectKind(models.TextChoices):
        ORGANIZATIONS = "organizations", _("党组织")
        MEMBERS = "members", _("全体党员")
        LEADING_CADRES = "leading_cadres", _("党员领导干部")

    title = models.CharField(_("名称"), max_length=100)
    subject_kind = models.CharField(
        _("评议对象"),
        max_length=16,
        choices=SubjectKind.choices,
        default=SubjectKind.ORGANIZATIONS,
        help_text=_("评议范围之下的各党组织，或其中的党员（全体党员或党员领导干部）"),
    )
    questions = models.JSONField(_("评议内容"), default=default_questions)
    choices = models.JSONField(_("评议选项"), default=default_choices)
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))
    target = models.DecimalField(
        _("满意率目标（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("90"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
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
        verbose_name = _("群众评议")
        verbose_name_plural = _("群众评议")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="survey_closes_after_open"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on


class SurveySubject(models.Model):
    """评议对象: one organisation the survey asks the public about, or one member
    (``member``; ``organization`` is then the member's unit at the time the
    survey was set up, which places the subject in the tree: who may issue its
    codes, enter its paper forms and read its opinions)."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("群众评议"), on_delete=models.CASCADE, related_name="subjects"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "orgs.Member",
        verbose_name=_("党员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("评议对象")
        verbose_name_plural = _("评议对象")
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "organization"],
                condition=Q(member__isnull=True),
                name="survey_subject_unique",
            ),
            models.UniqueConstraint(
                fields=["survey", "member"],
                condition=Q(member__isnull=False),
                name="survey_subject_member_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What the slips, the answer page and the lists call the subject:
        the organisation, or the member with their unit."""
        if self.member is None:
            return self.organization.name
        return f"{self.member.name}（{self.organization.name}）"

    @property
    def file_code(self) -> str:
        """The code a file about the subject is named by."""
        return self.member.number if self.member is not None else self.organization.code


class SurveyCodeBatch(models.Model):
    """一批评议码 for one subject: 待生成 → 已发放 (the codes written, the slips PDF
    made, in one job) → 已作废 (its unused codes answer nothing any more)."""

    class State(models.TextChoices):
        PENDING = "pending", _("生成中")
        ISSUED = "issued", _("已发放")
        VOID = "void", _("已作废")

    subject = models.ForeignKey(
        SurveySubject, verbose_name=_("评议对象"), on_delete=models.CASCADE, related_name="batches"
    )
    size = models.PositiveIntegerField(
        _("评议码数量"), validators=[MinValueValidator(1), MaxValueValidator(20000)]
    )
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    job = models.ForeignKey(
        "core.Job",
        verbose_name=_("评议卡"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发放人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评议码批次")
        verbose_name_plural = _("评议码批次")
        ordering = ["subject", "id"]

    def __str__(self) -> str:
        return _("%(subject)s 第%(n)s批") % {"subject": self.subject, "n": self.pk}


class SurveyCode(models.Model):
    """评议码: only its keyed hash (``reviews.surveys.code_digest``); the code
    itself was printed on a slip and never stored. ``used`` is the only trace an
    answer leaves here: no time, no link to the response."""

    batch = models.ForeignKey(
        SurveyCodeBatch, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="codes"
    )
    digest = models.CharField(_("校验值"), max_length=64, unique=True)
    used = models.BooleanField(_("已使用"), default=False)

    class Meta:
        verbose_name = _("评议码")
        verbose_name_plural = _("评议码")

    def __str__(self) -> str:
        return self.digest[:8]


class SurveyResponse(models.Model):
    """一份网上评议: the answer (a choice index) to each question and the opinion.
    Only the day is kept; nothing names the code, the visitor or the address."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("群众评议"), on_delete=models.CASCADE, related_name="responses"
    )
    subject = models.ForeignKey(
        SurveySubject,
        verbose_name=_("评议对象"),
        on_delete=models.CASCADE,
        related_name="responses",
    )
    answers = models.JSONField(_("各项评价"), default=list)
    opinion = models.TextField(_("意见建议"), blank=True, max_length=500)
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("网上评议")
        verbose_name_plural = _("网上评议")
        indexes = [models.Index(fields=["survey", "subject"], name="survey_response_subject")]

    def __str__(self) -> str:
        return f"{self.subject}·{self.day}"


class SurveyTally(models.Model):
    """纸质评议汇总: the forms counted at one meeting for a subject: how many were
    handed out (attendees) and returned, and per question the count of each
    answer and of blank or spoilt ones (``counts[q] = [n per choice…, invalid]``).
    A subject may have several (one per meeting: 党员大会, 群众代表座谈会 …); the
    results add them up."""

    subject = models.ForeignKey(
        SurveySubject, verbose_name=_("评议对象"), on_delete=models.CASCADE, related_name="tallies"
    )
    attendees = models.PositiveIntegerField(_("发放评议表份数"), validators=[MinValueValidator(1)])
    forms = models.PositiveIntegerField(_("收回评议表份数"))
    counts = models.JSONField(_("各项票数"), default=list)
    held_on = models.DateField(_("评议日期"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("纸质评议汇总")
        verbose_name_plural = _("纸质评议汇总")
        ordering = ["subject", "held_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(forms__lte=F("attendees")), name="survey_tally_forms_le_attendees"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject}（{self.forms}）"


class SurveyAttempt(models.Model):
    """A wrong code typed on the public page: the keyed hash of the address and
    when, for the per-address limit (``core.public.rate_allows``), shared by
    every process through the database. Nothing else of the visitor is kept."""

    address_hash = models.CharField(_("来源"), max_length=64)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("错误评议码")
        verbose_name_plural = _("错误评议码")
        indexes = [models.Index(fields=["address_hash", "at"], name="survey_attempt_recent")]

    def __str__(self) -> str:
        return self.address_hash[:8]


class SurveyFigureDelta(models.Model):
    """Web answers not yet in the dashboard's stored 满意率 counts: one row an
    answer (its unit, campaign, satisfied and valid answers), folded into
    ``orgs.tallies`` by the minutely beat job ``reviews.tasks.fold_survey_figures``.
    A web answer only inserts this row: adjusting the tree's counts takes the
    tallies' lock, which would make every answer of the district wait for the
    one before. Plain integers, no foreign keys: nothing to lock, nothing that
    names a code or a visitor."""

    organization_id = models.IntegerField()
    campaign_id = models.IntegerField()
    satisfied = models.IntegerField()
    valid = models.IntegerField()
    # The answer's day (its SurveyResponse.day): the quarter it counts in.
    day = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = _("待汇总的网上评议")
        verbose_name_plural = _("待汇总的网上评议")

    def __str__(self) -> str:
        return f"{self.organization_id}·{self.satisfied}/{self.valid}"
