"""The rules a pledge must keep, in one place: whom it is made to, and its items' limits.

``pledges.services`` (so every page), the pledge forms and the spreadsheet
importer all ask these; the importer and the service used to word the same
refusal differently, and each kept its own copy of the audience choice.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from django.utils import formats
from django.utils.translation import gettext as _

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


def _day(value: dt.date) -> str:
    """A date in a message, in the reader's language (2011-06-30, 06/30/2011)."""
    return formats.date_format(value, "SHORT_DATE_FORMAT")


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
    choices = _("或").join(str(a.label) for a in allowed)
    if member:
        return _("党员的承诺对象只能是%(choices)s") % {"choices": choices}
    return _("党组织的承诺对象只能是%(choices)s") % {"choices": choices}


def item_field_problems(
    *, content: str, due_date: dt.date | None, verification: str, campaign: Campaign
) -> list[Problem]:
    """What is wrong with one item's own fields, as (field, message) pairs."""
    problems: list[Problem] = []
    content = content.strip()
    if not content:
        problems.append(("content", _("承诺事项不能为空")))
    elif len(content) > CONTENT_MAX:
        problems.append(
            (
                "content",
                _("承诺事项不能超过 %(max)s 字（现有 %(n)s 字）")
                % {"max": CONTENT_MAX, "n": len(content)},
            )
        )
    if due_date is None:
        problems.append(("due_date", _("请填写完成时限")))
    elif not campaign.start_date <= due_date <= campaign.end_date:
        problems.append(
            (
                "due_date",
                _("完成时限 %(due)s 不在活动期间（%(start)s 至 %(end)s）")
                % {
                    "due": _day(due_date),
                    "start": _day(campaign.start_date),
                    "end": _day(campaign.end_date),
                },
            )
        )
    verification = verification.strip()
    if not verification:
        problems.append(("verification", _("请填写检验方式")))
    elif len(verification) > VERIFICATION_MAX:
        problems.append(
            (
                "verification",
                _("检验方式不能超过 %(max)s 字（现有 %(n)s 字）")
                % {"max": VERIFICATION_MAX, "n": len(verification)},
            )
        )
    return problems


def too_many_items(count: int) -> str | None:
    """Why a pledge of ``count`` items is too long."""
    if count > MAX_ITEMS:
        return _("承诺事项最多 %(max)s 项，现有 %(n)s 项") % {"max": MAX_ITEMS, "n": count}
    return None


def item_problems(campaign: Campaign, subject: str, items: Sequence[Item]) -> list[str]:
    """What is wrong with a pledge's items, each message naming the item."""
    problems: list[str] = []
    rubrics = set(
        Rubric.objects.filter(campaign=campaign, subject=subject).values_list("pk", flat=True)
    )
    if not items:
        problems.append(_("至少填写一项承诺事项"))
    over = too_many_items(len(items))
    if over:
        problems.append(over)
    for number, item in enumerate(items, start=1):
        where = _("第%(n)s项") % {"n": number}
        for _field, message in item_field_problems(
            content=item.content,
            due_date=item.due_date,
            verification=item.verification,
            campaign=campaign,
        ):
            problems.append(_("%(where)s：%(problem)s") % {"where": where, "problem": message})
        if item.criterion is not None and item.criterion.rubric_id not in rubrics:
            problems.append(
                _("%(where)s：对应标准“%(criterion)s”不属于本次活动的%(subject)s标准")
                % {
                    "where": where,
                    "criterion": item.criterion,
                    "subject": Rubric.Subject(subject).label,
                }
            )
    return problems
