"""工作简报 / 通报 / 检查通报: what the office or a committee tells the units below
it (``audience`` 本组织及下级) or everyone (公开), with its files.

草稿 → 已发布 (期数 given then, per issuing organisation and year) → 已撤回 (with a
reason). Every write is in ``campaign.bulletins``; the models hold fields and
constraints only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Bulletin", "BulletinAttachment"]

# The body's cap in characters (a 简报 of a few pages; the form's maxlength too).
BODY_MAX = 20000


class Bulletin(models.Model):
    """一期简报 or 一份通报, issued by an organisation (its REVIEW roles write it)
    in a campaign. ``source``/``source_id`` name the record it was made from (a
    spot-check round's 检查通报: ``spot_check_round``), one bulletin per record;
    the page links back through ``campaign.bulletins.register_source_link``."""

    class Kind(models.TextChoices):
        WORK = "work", _("工作简报")
        NOTICE = "notice", _("通报")
        SPOT_CHECK = "spot_check", _("检查通报")

    class Audience(models.TextChoices):
        SUBTREE = "subtree", _("本组织及下级")
        PUBLIC = "public", _("公开")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    campaign = models.ForeignKey(
        "campaign.Campaign",
        verbose_name=_("活动"),
        on_delete=models.PROTECT,
        related_name="bulletins",
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("发布单位"),
        on_delete=models.PROTECT,
        related_name="bulletins",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.WORK)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"), max_length=BODY_MAX)
    audience = models.CharField(
        _("发布范围"), max_length=16, choices=Audience.choices, default=Audience.SUBTREE
    )
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    number = models.PositiveIntegerField(_("期数"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=32, blank=True)
    source_id = models.PositiveIntegerField(_("来源记录"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.CharField(_("撤回理由"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("工作简报")
        verbose_name_plural = _("工作简报")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["state", "audience", "published_at"], name="bulletin_public"),
            models.Index(fields=["organization", "state"], name="bulletin_org_state"),
        ]
        constraints = [
            # 第 n 期 once per issuing organisation, kind and year: 工作简报, 通报
            # and 检查通报 are each their own series.
            models.UniqueConstraint(
                fields=["organization", "kind", "year", "number"],
                condition=Q(number__isnull=False),
                name="bulletin_number_per_org_kind_year",
            ),
            # One bulletin per source record (a round's 检查通报 lands once).
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=Q(source_id__isnull=False),
                name="bulletin_one_per_source",
            ),
            # What has been published carries its 期数; a withdrawn one its reason.
            models.CheckConstraint(
                condition=Q(state="draft") | Q(number__isnull=False, year__isnull=False),
                name="bulletin_published_has_number",
            ),
            models.CheckConstraint(
                condition=~Q(state="withdrawn") | ~Q(withdraw_reason=""),
                name="bulletin_withdrawn_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def number_text(self) -> str:
        """第3期 (2011年), or "" for a draft."""
        if self.number is None:
            return ""
        return str(_("%(year)s年第%(n)s期") % {"year": self.year, "n": self.number})


def bulletin_file_path(instance: "BulletinAttachment", filename: str) -> str:
    return f"bulletins/{instance.bulletin_id}/{filename}"


class BulletinAttachment(models.Model):
    """A file with a bulletin (PDF or a picture), checked by content; a picture is
    kept re-encoded without its metadata (a 公开 bulletin is on a public page)."""

    bulletin = models.ForeignKey(
        Bulletin, verbose_name=_("工作简报"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=bulletin_file_path)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
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
        verbose_name = _("简报附件")
        verbose_name_plural = _("简报附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
