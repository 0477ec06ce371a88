"""整改 (rectification): an item to put right, opened from a finding (a review
opinion, a 点评, a survey opinion, a spot-check finding) or entered by hand,
with an owner unit and a due date: 待整改 → 整改中 → 已完成 (with evidence)
→ 已核验, or 重新整改 (with a reason) back to 整改中.

Every write is in ``reviews.rectify``; the models hold fields and constraints only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Rectification", "RectificationFile"]


class Rectification(models.Model):
    """一项整改. ``source_kind`` and ``source_id`` say where it came from (the page
    it links back to is the kind's registered link, ``reviews.rectify``);
    ``source_text`` is the finding as it read when the item was opened, so the
    item still says what was found if the source changes. ``overdue`` is set by
    the daily beat job (``rectification_flag_overdue``); pages also compute it
    on read (``reviews.rectify.is_overdue``) so they are right before the job runs."""

    class State(models.TextChoices):
        PENDING = "pending", _("待整改")
        IN_PROGRESS = "in_progress", _("整改中")
        DONE = "done", _("已完成")
        VERIFIED = "verified", _("已核验")

    class SourceKind(models.TextChoices):
        REVIEW_OPINION = "review_opinion", _("评议意见")
        LEADER_COMMENT = "leader_comment", _("领导点评")
        SURVEY_OPINION = "survey_opinion", _("群众评议意见")
        SPOT_CHECK = "spot_check", _("随机抽查")
        MANUAL = "manual", _("手工录入")

    campaign = models.ForeignKey(
        "campaign.Campaign",
        verbose_name=_("活动"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("整改单位"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    description = models.TextField(_("整改事项"), max_length=3000)
    due_on = models.DateField(_("整改期限"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    overdue = models.BooleanField(_("已逾期"), default=False)
    source_kind = models.CharField(
        _("来源"), max_length=20, choices=SourceKind.choices, default=SourceKind.MANUAL
    )
    source_id = models.PositiveIntegerField(_("来源记录"), null=True, blank=True)
    source_text = models.TextField(_("发现的问题"), blank=True, max_length=6000)
    review_round = models.ForeignKey(
        "reviews.ReviewRound",
        verbose_name=_("评议"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rectifications",
    )
    evidence = models.TextField(_("整改情况"), blank=True, max_length=3000)
    redo_reason = models.CharField(_("重新整改理由"), max_length=500, blank=True)
    redo_count = models.PositiveSmallIntegerField(_("重新整改次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("交办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始整改时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核验人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("交办时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["campaign", "organization", "state"], name="rectify_unit_state"),
            models.Index(fields=["state", "due_on"], name="rectify_state_due"),
        ]
        constraints = [
            # A finished item has its evidence in words.
            models.CheckConstraint(
                condition=~Q(state__in=["done", "verified"]) | ~Q(evidence=""),
                name="rectify_done_has_evidence",
            ),
        ]

    def __str__(self) -> str:
        text = self.description.strip().splitlines()[0] if self.description.strip() else ""
        return text[:40] or f"整改事项 {self.pk}"


def rectification_file_path(instance: "RectificationFile", filename: str) -> str:
    return f"rectifications/{instance.rectification_id}/{filename}"


class RectificationFile(models.Model):
    """整改佐证材料: a file (PDF, DOCX or an image) filed with an item, checked by content."""

    rectification = models.ForeignKey(
        Rectification, verbose_name=_("整改事项"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("文件"), upload_to=rectification_file_path)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改佐证材料")
        verbose_name_plural = _("整改佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
