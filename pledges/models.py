"""公开承诺: pledges by organisations and members, their revisions, 践诺 and 群众监督.

A pledge's text lives in numbered revisions. The pledge points at the revision
being worked on (``revision``) and at the one the public sees
(``published_revision``); once published, a revision is never changed, so an
edit opens the next one and the board keeps showing the last approved text
until the new one is published. States move only through ``pledges.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Criterion, Phase
from orgs.models import Member, Organization


class Pledge(models.Model):
    class Audience(models.TextChoices):
        PARENT = "parent", _("向上级党组织")
        ORGANIZATION = "organization", _("向党组织")
        PUBLIC = "public", _("向群众")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("退回")
        PUBLISHED = "published", _("已公示")

    class Outcome(models.TextChoices):
        HONOURED = "honoured", _("已兑现")
        PARTIAL = "partial", _("部分兑现")
        UNHONOURED = "unhonoured", _("未兑现")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("创先争优活动"), on_delete=models.PROTECT, related_name="pledges"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("党组织"),
        help_text=_("作出承诺的党组织；党员承诺时为其所在党组织"),
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("党员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
    )
    audience = models.CharField(_("承诺对象"), max_length=16, choices=Audience.choices)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    revision = models.PositiveSmallIntegerField(_("修订版本"), default=1)
    published_revision = models.PositiveSmallIntegerField(
        _("公示版本"), default=0, help_text=_("0 表示尚未公示")
    )
    return_reason = models.TextField(_("退回理由"), blank=True)
    on_behalf = models.BooleanField(_("代为录入"), default=False)
    outcome = models.CharField(_("评诺结果"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_comment = models.TextField(_("评诺意见"), blank=True)
    outcome_phase = models.ForeignKey(
        Phase,
        verbose_name=_("评诺阶段"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome_at = models.DateTimeField(_("评诺时间"), null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评诺人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who entered the text being worked on (the revision's last save): with the
    # campaign's separate_approver, not the person who approves it.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("本版录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # What the services record under names that are not fields (core.audit's 变更记录).
    audit_labels = {"items": _("承诺事项")}

    class Meta:
        verbose_name = _("公开承诺")
        verbose_name_plural = _("公开承诺")
        ordering = ["campaign_id", "organization_id", "member_id", "audience"]
        constraints = [
            # One pledge per pledger, campaign and audience (organisations and
            # members separately, since a NULL member never collides).
            models.UniqueConstraint(
                fields=["campaign", "organization", "audience"],
                condition=Q(member__isnull=True),
                name="pledge_one_per_unit_and_audience",
            ),
            models.UniqueConstraint(
                fields=["campaign", "member", "audience"],
                condition=Q(member__isnull=False),
                name="pledge_one_per_member_and_audience",
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(return_reason=""),
                name="pledge_returned_has_reason",
            ),
            # Organisations pledge upward and to the public; members to their
            # organisation and to the public (seed 003).
            models.CheckConstraint(
                condition=Q(member__isnull=True, audience__in=["parent", "public"])
                | Q(member__isnull=False, audience__in=["organization", "public"]),
                name="pledge_audience_fits_pledger",
            ),
            models.CheckConstraint(
                condition=Q(published_revision__lte=F("revision")),
                name="pledge_published_revision_exists",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pledger_name}·{self.get_audience_display()}"

    @property
    def pledger_name(self) -> str:
        return self.member.name if self.member_id and self.member else self.organization.name

    @property
    def is_public(self) -> bool:
        return self.published_revision > 0

    @property
    def is_revising(self) -> bool:
        """Published, with a newer revision on its way to approval."""
        return self.is_public and self.revision > self.published_revision


class PledgeRevision(models.Model):
    """One numbered text of a pledge; frozen once published."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("公开承诺"), on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveSmallIntegerField(_("版本"))
    change_note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("承诺修订版本")
        verbose_name_plural = _("承诺修订版本")
        ordering = ["pledge_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "number"], name="pledge_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.pledge_id} 第{self.number}版"


class PledgeItem(models.Model):
    """承诺事项: what, by when, how it will be checked. ``key`` stays the same
    across revisions so 践诺 entries follow an item through edits."""

    revision = models.ForeignKey(
        PledgeRevision, verbose_name=_("版本"), on_delete=models.CASCADE, related_name="items"
    )
    key = models.PositiveSmallIntegerField(_("事项号"))
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    content = models.TextField(_("承诺事项"), max_length=500)
    due_date = models.DateField(_("完成时限"))
    verification = models.CharField(_("检验方式"), max_length=200)
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("对应标准"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("承诺事项")
        verbose_name_plural = _("承诺事项")
        ordering = ["revision_id", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "key"], name="pledge_item_key_unique"),
        ]

    def __str__(self) -> str:
        return self.content[:40]


def update_photo_path(instance: "PledgeUpdate", filename: str) -> str:
    return f"pledges/{instance.pledge_id}/updates/{filename}"


class PledgeUpdate(models.Model):
    """践诺: a dated progress entry on one item of a published pledge."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("公开承诺"), on_delete=models.CASCADE, related_name="updates"
    )
    item_key = models.PositiveSmallIntegerField(_("事项号"))
    happened_on = models.DateField(_("日期"))
    text = models.TextField(_("进展情况"), max_length=1000)
    photo = models.FileField(_("照片"), upload_to=update_photo_path, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("践诺记录")
        verbose_name_plural = _("践诺记录")
        ordering = ["pledge_id", "item_key", "happened_on", "id"]

    def __str__(self) -> str:
        return f"{self.happened_on} {self.text[:30]}"


class PledgeComment(models.Model):
    """群众监督: a visitor's comment, shown only after the branch approves it."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已显示")
        REJECTED = "rejected", _("不予显示")

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("公开承诺"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.CharField(_("署名"), max_length=20, blank=True)
    text = models.TextField(_("意见内容"), max_length=300)
    # A keyed hash of the visitor's address: enough to rate-limit, not to identify.
    address_hash = models.CharField(_("来源"), max_length=64, db_index=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    moderated_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("群众意见")
        verbose_name_plural = _("群众意见")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:30]
