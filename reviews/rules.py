"""The rules a review kind and a round must satisfy, as lists of Chinese messages
(empty when all is well). The models' ``clean()``, the admin's inline formsets
and the seed loader call them, so each rule lives here once (the
``campaign.rules`` idiom, whose ``Problem`` carries the field a message is about).

- ``kind_problems``: the kind's rubric against its subject and campaign.
- ``evaluator_problems``: the evaluator kinds and weights (summing to 100, each
  fit for the subject, none twice).
- ``band_problems``: the grade bands (labels unique, thresholds descending,
  the last at 0 so every score has a grade).
- ``round_problems``: a round's dates, subtree and kind inside its campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from campaign.choices import RubricSubject
from campaign.rules import Problem, date_text
from reviews.choices import FOR_MEMBERS, FOR_ORGANIZATIONS, EvaluatorKind

if TYPE_CHECKING:
    from reviews.models import GradeBand, KindEvaluator, ReviewKind, ReviewRound

TOTAL_WEIGHT = 100


def kind_problems(kind: ReviewKind) -> list[Problem]:
    """The rubric must be one of the kind's campaign, for the kind's subject."""
    if not kind.rubric_id or not kind.campaign_id:
        return []
    rubric = kind.rubric
    problems = []
    if rubric.campaign_id != kind.campaign_id:
        problems.append(
            Problem(
                _("评价标准“%(rubric)s”不属于活动“%(campaign)s”")
                % {"rubric": rubric.name, "campaign": kind.campaign.name},
                "rubric",
            )
        )
    if kind.subject and rubric.subject != kind.subject:
        problems.append(
            Problem(
                _("评议对象是%(subject)s，评价标准“%(rubric)s”却是%(other)s的评价标准")
                % {
                    "subject": RubricSubject(kind.subject).label,
                    "rubric": rubric.name,
                    "other": RubricSubject(rubric.subject).label,
                },
                "rubric",
            )
        )
    return problems


def evaluator_problems(kind: ReviewKind, rows: Sequence[KindEvaluator]) -> list[Problem]:
    """At least one evaluator kind, each once and fit for the subject; weights sum to 100."""
    if not rows:
        return [Problem(_("“%(kind)s”还没有评议主体") % {"kind": kind.name})]
    problems: list[Problem] = []
    fit = FOR_MEMBERS if kind.subject == RubricSubject.MEMBER else FOR_ORGANIZATIONS
    seen: set[str] = set()
    for row in rows:
        label = EvaluatorKind(row.evaluator).label if row.evaluator else "?"
        if row.evaluator in seen:
            problems.append(Problem(_("评议主体“%(e)s”重复") % {"e": label}))
        seen.add(row.evaluator)
        if kind.subject and row.evaluator and row.evaluator not in fit:
            problems.append(
                Problem(
                    _("评议主体“%(e)s”不适用于评议%(subject)s")
                    % {"e": label, "subject": RubricSubject(kind.subject).label}
                )
            )
    total = sum(row.weight or 0 for row in rows)
    if total != TOTAL_WEIGHT:
        problems.append(
            Problem(
                _("各评议主体权重合计 %(total)s，应为 %(want)s（%(items)s）")
                % {
                    "total": total,
                    "want": TOTAL_WEIGHT,
                    "items": "、".join(
                        f"{EvaluatorKind(r.evaluator).label} {r.weight}"
                        for r in rows
                        if r.evaluator
                    ),
                }
            )
        )
    return problems


def band_problems(kind: ReviewKind, bands: Sequence[GradeBand]) -> list[Problem]:
    """Two or more grades, labels unique, thresholds strictly descending in order,
    within 0..100, the last at 0 (every composite gets a grade)."""
    if len(bands) < 2:
        return [Problem(_("“%(kind)s”至少要有两个等次") % {"kind": kind.name})]
    problems: list[Problem] = []
    ordered = sorted(bands, key=lambda b: b.position)
    labels = [b.label for b in ordered]
    for label in {x for x in labels if labels.count(x) > 1}:
        problems.append(Problem(_("等次“%(label)s”重复") % {"label": label}))
    for band in ordered:
        if band.min_score is not None and not Decimal(0) <= band.min_score <= TOTAL_WEIGHT:
            problems.append(
                Problem(
                    _("等次“%(label)s”的分数线 %(score)s 不在 0 到 100 之间")
                    % {"label": band.label, "score": band.min_score}
                )
            )
    for higher, lower in zip(ordered, ordered[1:], strict=False):
        known = higher.min_score is not None and lower.min_score is not None
        if known and lower.min_score >= higher.min_score:
            problems.append(
                Problem(
                    _(
                        "等次分数线须从高到低：“%(lower)s”（%(ls)s）排在“%(higher)s”"
                        "（%(hs)s）之后，分数线应更低"
                    )
                    % {
                        "lower": lower.label,
                        "ls": lower.min_score,
                        "higher": higher.label,
                        "hs": higher.min_score,
                    }
                )
            )
    last = ordered[-1]
    if last.min_score is not None and last.min_score != 0:
        problems.append(
            Problem(
                _("最后一个等次“%(label)s”的分数线应为 0，否则低于 %(score)s 分的对象没有等次")
                % {"label": last.label, "score": last.min_score}
            )
        )
    return problems


def round_problems(round_: ReviewRound) -> list[Problem]:
    """Dates in order and inside the campaign; the kind of the same campaign; the
    subtree root inside the campaign's tree."""
    problems: list[Problem] = []
    campaign = round_.campaign if round_.campaign_id else None
    if round_.opens_on and round_.closes_on and round_.closes_on < round_.opens_on:
        problems.append(
            Problem(
                _("截止日期（%(closes)s）早于开始日期（%(opens)s）")
                % {"closes": date_text(round_.closes_on), "opens": date_text(round_.opens_on)},
                "closes_on",
            )
        )
    if campaign is None:
        return problems
    if round_.kind_id and round_.kind.campaign_id != campaign.pk:
        problems.append(
            Problem(
                _("评议类型“%(kind)s”不属于活动“%(campaign)s”")
                % {"kind": round_.kind.name, "campaign": campaign.name},
                "kind",
            )
        )
    if round_.organization_id and round_.organization.tree_id != campaign.organization.tree_id:
        problems.append(
            Problem(
                _("“%(unit)s”不在活动“%(campaign)s”的党组织之下")
                % {"unit": round_.organization.name, "campaign": campaign.name},
                "organization",
            )
        )
    for day, name in ((round_.opens_on, "opens_on"), (round_.closes_on, "closes_on")):
        if day and not campaign.start_date <= day <= campaign.end_date:
            problems.append(
                Problem(
                    _("日期 %(day)s 不在活动的起止日期（%(start)s至%(end)s）之内")
                    % {
                        "day": date_text(day),
                        "start": date_text(campaign.start_date),
                        "end": date_text(campaign.end_date),
                    },
                    name,
                )
            )
    return problems
