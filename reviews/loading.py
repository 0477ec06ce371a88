"""The ``review_kinds`` section of a campaign data file (``load_campaign``):
each kind with its rubric (by name), evaluators and weights, grades, and its
cadence (the review milestones whose names contain ``cadence``). Checked with
``reviews.rules`` like the admin; any problem undoes the whole load."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from campaign.models import Campaign
from campaign.services import CampaignDataError, choice_value, data_fields, register_section
from reviews.choices import BallotForm, EvaluatorKind, Publication
from reviews.models import GradeBand, KindEvaluator, ReviewKind
from reviews.rules import band_problems, evaluator_problems, kind_problems

REQUIRED = {"name", "subject", "rubric", "evaluators", "grades"}
OPTIONAL = {"ballot", "min_evaluators", "publication", "round_days", "cadence", "description"}


def _choice(value: Any, choices: Any, where: str, what: str, problems: list[str]) -> Any:
    """A choice by its value or its Chinese label; else a problem naming the labels."""
    found = choice_value(choices, value)
    if found is None:
        labels = "、".join(str(label) for label in choices.labels)
        problems.append(f"{where}：没有{what}“{value}”；可用：{labels}")
    return found


def _score(value: Any, where: str, problems: list[str]) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError):
        problems.append(f"{where}：分数“{value}”不是数字")
        return None


@register_section("review_kinds")
def load_review_kinds(campaign: Campaign, items: list[Any]) -> tuple[list[Any], list[str]]:
    problems: list[str] = []
    created: list[Any] = []
    rubrics = {r.name: r for r in campaign.rubrics.all()}
    reviews_at = list(campaign.milestones.filter(kind="review"))
    for position, item in enumerate(items, start=1):
        where = f"第 {position} 个评议类型"
        if not isinstance(item, dict):
            problems.append(f"{where}：应为对象")
            continue
        try:
            item = data_fields(item, where, REQUIRED, OPTIONAL)
        except CampaignDataError as exc:
            problems += exc.problems
            continue
        where = f"评议类型“{item['name']}”"
        rubric = rubrics.get(item["rubric"])
        if rubric is None:
            problems.append(f"{where}：没有评价标准“{item['rubric']}”；现有：{'、'.join(rubrics)}")
            continue
        kind = ReviewKind(
            campaign=campaign,
            position=position,
            name=item["name"],
            subject=item["subject"],
            rubric=rubric,
            ballot=_choice(item.get("ballot", "scores"), BallotForm, where, "评议方式", problems),
            min_evaluators=item.get("min_evaluators", 3),
            publication=_choice(
                item.get("publication", "parent"), Publication, where, "公布范围", problems
            ),
            round_days=item.get("round_days", 30),
            description=item.get("description", ""),
        )
        try:
            kind.full_clean(exclude=["campaign"])
        except ValidationError as exc:
            problems += [f"{where}：{m}" for m in exc.messages]
            continue
        problems += [f"{where}：{p}" for p in kind_problems(kind)]
        evaluators = []
        for entry in item["evaluators"]:
            evaluator = _choice(entry.get("evaluator"), EvaluatorKind, where, "评议主体", problems)
            evaluators.append(KindEvaluator(evaluator=evaluator, weight=entry.get("weight", 0)))
        problems += [f"{where}：{p}" for p in evaluator_problems(kind, evaluators)]
        bands = [
            GradeBand(
                position=order,
                label=entry.get("label", ""),
                min_score=_score(entry.get("min_score"), where, problems),  # type: ignore[misc]
                vote_score=(
                    _score(entry["vote_score"], where, problems) if "vote_score" in entry else None
                ),
            )
            for order, entry in enumerate(item["grades"], start=1)
        ]
        problems += [f"{where}：{p}" for p in band_problems(kind, bands)]
        cadence = item.get("cadence", "")
        milestones = [m for m in reviews_at if cadence and cadence in m.name]
        if cadence and not milestones:
            problems.append(f"{where}：没有名称含“{cadence}”的讲评评议时间节点")
        if problems:
            continue
        kind.save()
        for row in evaluators:
            row.kind = kind
        for band in bands:
            band.kind = kind
        KindEvaluator.objects.bulk_create(evaluators)
        GradeBand.objects.bulk_create(bands)
        kind.milestones.set(milestones)
        created += [kind, *evaluators, *bands]
    names = [i.get("name") for i in items if isinstance(i, dict)]
    problems += [f"评议类型“{n}”重复" for n in {n for n in names if names.count(n) > 1}]
    return created, problems
