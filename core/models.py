"""Cross-cutting records: background jobs and the files they make."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """One piece of background work (an import, an export, a PDF) and its outcome.

    The record lives in the database, so a user sees waiting work even when the
    broker is down, and a task that runs twice finds the job already done.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("等待中")
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    message = models.CharField(_("说明"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    input_file = models.FileField(_("上传文件"), upload_to="jobs/in/%Y/%m/", blank=True)
    output_file = models.FileField(_("生成文件"), upload_to="jobs/out/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    # Written every few seconds while the job runs: a worker that died stops it.
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    # A dry run (preview) is confirmed once: the second confirmation finds this set.
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    # The Celery worker (node name) that last claimed the job; empty when it ran inline.
    worker = models.CharField(_("执行进程"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def kind_label(self):
        from core.jobs import kind_label

        return kind_label(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class AuditEntry(models.Model):
    """One change to a record: who, when, through what, and the values before and after.

    Written only by core.audit (from services, importers, the admin and jobs);
    the admin shows entries read-only and no page edits them.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")

    class Source(models.TextChoices):
        PAGE = "page", _("页面")
        ADMIN = "admin", _("系统管理")
        IMPORT = "import", _("导入")
        COMMAND = "command", _("命令")
        TASK = "task", _("后台任务")
        SYSTEM = "system", _("系统")

    at = models.DateTimeField(_("时间"), db_index=True)
    # No foreign keys: the trail must outlive the users and records it names.
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    source = models.CharField(_("途径"), max_length=16, choices=Source.choices)
    action = models.CharField(_("操作"), max_length=8, choices=Action.choices)
    # A workflow move (submit, accept, return …): the history reads 报送 / 备案 / 退回.
    verb = models.CharField(_("环节"), max_length=32, blank=True)
    model = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=200)
    organization_id = models.BigIntegerField(
        _("相关党组织编号"), null=True, blank=True, db_index=True
    )
    changes = models.JSONField(_("变更（前 → 后）"), default=dict)
    # Imports: the rows one entry covers, as CSV text (header first). Plain text
    # because parsing tens of thousands of values as jsonb tripled an import's time.
    rows = models.TextField(_("批量行"), blank=True)
    job_id = models.BigIntegerField(_("后台任务编号"), null=True, blank=True)

    # Filled by core.audit.history() for display; not stored.
    model_name: str
    action_label: str
    arrows: bool  # a change (before → after), not a new or deleted record's values
    lines: list[tuple[str, str, str]]

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.object_repr}"


class WorkerBeat(models.Model):
    """A Celery worker's sign of life, written by the worker every
    ``WORKER_HEARTBEAT_SECONDS`` (``core.health``); the health endpoint reports
    the workers unhealthy when none wrote within ``WORKER_STALE_SECONDS``.

    In the database that every web process already reaches, so any of them can
    answer the load balancer without asking the broker.
    """

    name = models.CharField(_("进程名"), max_length=200, primary_key=True)
    beat_at = models.DateTimeField(_("最近心跳"))

    class Meta:
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return self.name


class LoginFailure(models.Model):
    """One failed login for an (address, account) pair, kept only as a keyed hash.

    In the database rather than a process's memory or the cache, so every web
    process counts the same failures and a Redis outage does not open (or
    break) the login page.
    """

    key = models.CharField(_("来源"), max_length=64)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        indexes = [models.Index(fields=["key", "at"], name="login_failure_key_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}"


class DocumentSequence(models.Model):
    """The last 文号 sequence number an issuing organ gave out in a year.

    One row per (organ, year), locked by the transaction that numbers and makes
    a document (``core.documents.issuing``), so two documents never share a
    number and a document that fails gives its number back.
    """

    # The issuing organisation's id: core sits below the tree and keeps no foreign key to it.
    organ = models.BigIntegerField(_("发文机关编号"))
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用到的顺序号"), default=0)

    class Meta:
        verbose_name = _("文号计数")
        verbose_name_plural = _("文号计数")
        constraints = [
            models.UniqueConstraint(fields=["organ", "year"], name="document_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organ} {self.year}: {self.last}"


class DocumentNumber(models.Model):
    """发文登记: the 文号 one document was given, and what it was printed with.

    A job that runs again (a redelivery) finds its row and prints the same
    文号, organ and date; the row outlives the job, as a register does.
    """

    job = models.OneToOneField(
        Job,
        verbose_name=_("后台任务"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="document_number",
    )
    organ = models.BigIntegerField(_("发文机关编号"))
    organ_name = models.CharField(_("发文机关"), max_length=128)
    year = models.PositiveSmallIntegerField(_("年份"))
    serial = models.PositiveIntegerField(_("顺序号"))
    text = models.CharField(_("文号"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    issued_on = models.DateField(_("成文日期"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发文登记")
        verbose_name_plural = _("发文登记")
        ordering = ["-year", "organ", "-serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["organ", "year", "serial"], name="document_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text} {self.title}"


class Notification(models.Model):
    """站内通知: a move or a deadline that concerns one user, with where to act.

    What it is about is a model label and an id (core sits below the apps and
    keeps no foreign key to their records); ``read_at`` is set when the user
    marks it read.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    verb = models.CharField(_("事项"), max_length=32)
    text = models.CharField(_("内容"), max_length=300)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    about = models.CharField(_("对象类型"), max_length=64, blank=True)
    about_id = models.BigIntegerField(_("对象编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            # The menu's unread count: a user's unread rows only.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class Reminder(models.Model):
    """One deadline reminder sent to one user: unique on (user, kind, object,
    deadline), so a beat run twice, or two workers at once, send it once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    kind = models.CharField(_("提醒类型"), max_length=64)
    about = models.CharField(_("对象类型"), max_length=64)
    about_id = models.BigIntegerField(_("对象编号"))
    deadline = models.DateField(_("截止日期"))
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)

    class Meta:
        verbose_name = _("截止提醒")
        verbose_name_plural = _("截止提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "about", "about_id", "deadline"],
                name="reminder_once_per_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.about}#{self.about_id} {self.deadline}"
