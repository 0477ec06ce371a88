"""Choices of the review models that the rules need too (``reviews.rules`` is
imported by ``reviews.models``, as in campaign)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EvaluatorKind(models.TextChoices):
    """Who evaluates (评议主体). Which kinds a review kind uses, and their weights,
    are configuration (``KindEvaluator``)."""

    SELF = "self", _("自评陈述")
    BRANCH = "branch", _("支部评议")
    PARENT = "parent", _("上级党组织评议")
    PEER = "peer", _("党员互评")
    UPWARD = "upward", _("下级评上级")
    LEADER = "leader", _("领导点评")
    PUBLIC = "public", _("群众评议")


# Evaluators whose identity is kept only to prevent a second sheet and count
# turnout: no page, export or log shown to users says who gave which score.
ANONYMOUS = frozenset({EvaluatorKind.PEER, EvaluatorKind.UPWARD, EvaluatorKind.PUBLIC})

# Which evaluator kinds make sense for which subject: a branch scores its
# members and a committee its units; members evaluate each other; lower units
# evaluate the one above; the self statement and the public apply to both.
FOR_MEMBERS = frozenset(
    {EvaluatorKind.SELF, EvaluatorKind.BRANCH, EvaluatorKind.PEER, EvaluatorKind.PUBLIC}
)
FOR_ORGANIZATIONS = frozenset(
    {
        EvaluatorKind.SELF,
        EvaluatorKind.PARENT,
        EvaluatorKind.UPWARD,
        EvaluatorKind.LEADER,
        EvaluatorKind.PUBLIC,
    }
)


class BallotForm(models.TextChoices):
    SCORES = "scores", _("按评价项目打分")
    GRADE = "grade", _("等次投票")


class Publication(models.TextChoices):
    """Who may read a round's results once 已公布 (besides the office above)."""

    UNIT = "unit", _("本单位")
    PARENT = "parent", _("上级")
    DISTRICT = "district", _("全区")
    PUBLIC = "public", _("公开")


class RoundState(models.TextChoices):
    DRAFT = "draft", _("筹备")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")
    PUBLISHED = "published", _("已公布")
