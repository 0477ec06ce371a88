"""The rules a pledge must keep, in one place: whom it is made to, and its items' limits.

``pledges.services`` (so every page), the pledge forms and the spreadsheet
importer all ask these; the importer and the service used to word the same
refusal differently, and each kept its own copy of the audience choice.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from campaign.models import Campaign, Criterion, Rubric
from pledges.models import Pledge

MAX_ITEMS = 20
CONTENT_MAX = 500
VERIFICATION_MAX = 200

# (field name, message); the message names the field, so it reads on its own too.
Problem = tuple[str, str]


class Item(Protocol):
    """What the rules read of a 承诺事项 (``pledges.services.ItemInput`` is one)."""

    content: str
    due_date: dt.date | None
    verification: str
    criterion: Criterion | None


def audiences_for(*, member: bool) -> tuple[Pledge.Audience, Pledge.Audience]:
    """A member pledges to the party organisation or to the public; an organisation to
    its parent organisation or to the public (the database constraint says the same)."""
    if member:
        return (Pledge.Audience.ORGANIZATION, Pledge.Audience.PUBLIC)
    return (Pledge.Audience.PARENT, Pledge.Audience.PUBLIC)


def audience_problem(audience: str | None, *, member: bool) -> str | None:
    """Why ``audience`` is not one a member's (or an organisation's) pledge may have."""
    allowed = audiences_for(member=member)
    if audience in allowed:
        return None
    return f"{'党员' if member else '党组织'}的承诺对象只能是" + "或".join(
        str(a.label) for a in allowed
    )


def item_field_problems(
    *, content: str, due_date: dt.date | None, verification: str, campaign: Campaign
) -> list[Problem]:
    """What is wrong with one item's own fields, as (field, message) pairs."""
    problems: list[Problem] = []
    content = content.strip()
    if not content:
        problems.append(("content", "承诺事项不能为空"))
    elif len(content) > CONTENT_MAX:
        problems.append(("content", f"承诺事项不能超过 {CONTENT_MAX} 字（现有 {len(content)} 字）"))
    if due_date is None:
        problems.append(("due_date", "请填写完成时限"))
    elif not campaign.start_date <= due_date <= campaign.end_date:
        problems.append(
            (
                "due_date",
                f"完成时限 {due_date:%Y-%m-%d} 不在活动期间"
                f"（{campaign.start_date:%Y-%m-%d} 至 {campaign.end_date:%Y-%m-%d}）",
            )
        )
    verification = verification.strip()
    if not verification:
        problems.append(("verification", "请填写检验方式"))
    elif len(verification) > VERIFICATION_MAX:
        problems.append(
            (
                "verification",
                f"检验方式不能超过 {VERIFICATION_MAX} 字（现有 {len(verification)} 字）",
            )
        )
    return problems


def too_many_items(count: int) -> str | None:
    """Why a pledge of ``count`` items is too long."""
    if count > MAX_ITEMS:
        return f"承诺事项最多 {MAX_ITEMS} 项，现有 {count} 项"
    return None


def item_problems(campaign: Campaign, subject: str, items: Sequence[Item]) -> list[str]:
    """What is wrong with a pledge's items, each message naming the item."""
    problems: list[str] = []
    rubrics = set(
        Rubric.objects.filter(campaign=campaign, subject=subject).values_list("pk", flat=True)
    )
    if not items:
        problems.append("至少填写一项承诺事项")
    over = too_many_items(len(items))
    if over:
        problems.append(over)
    for number, item in enumerate(items, start=1):
        where = f"第{number}项"
        for _field, message in item_field_problems(
            content=item.content,
            due_date=item.due_date,
            verification=item.verification,
            campaign=campaign,
        ):
            problems.append(f"{where}：{message}")
        if item.criterion is not None and item.criterion.rubric_id not in rubrics:
            problems.append(
                f"{where}：对应标准“{item.criterion}”不属于本次活动的"
                f"{Rubric.Subject(subject).label}标准"
            )
    return problems
