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
