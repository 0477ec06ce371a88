"""Choices of the campaign models that the rules need too.

``campaign.rules`` is imported by ``campaign.models`` (for ``clean()``), so the
rules cannot import the models; the models take these as ``Campaign.Status``
and ``Rubric.Subject``, which is how the rest of the code names them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("筹备")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class RubricSubject(models.TextChoices):
    ORGANIZATION = "organization", _("党组织")
    MEMBER = "member", _("党员")


class PlanField(models.TextChoices):
    """The plan's six text fields (``Plan`` columns). A campaign names the ones its
    document asks for, in its own words (``PlanSection``); the labels here are the
    defaults, 四个明确 first."""

    THEME = "theme", _("实践主题")
    CARRIERS = "carriers", _("活动载体")
    CONDITIONS = "conditions", _("创建条件")
    COMMITMENTS = "commitments", _("承诺内容")
    MEASURES = "measures", _("工作措施")
    SCHEDULE = "schedule", _("进度安排")
