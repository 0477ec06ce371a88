"""The rules a member record must keep, in one place.

``Member.clean()`` (so the member form, the admin and ``orgs.services``) and
the member importer all ask ``member_problems``; before, the form accepted a
member who joined at 8 that the import refused. Only the rules live here: the
shape of each value (required, length, choices, a date that parses) stays
with the model field or the importer's cell reading.

The importer calls this once a row, 75,000 rows in a couple of seconds
(benchmarks/import_district.py), so it is plain comparisons and no regex.
"""

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.documents import NUMBER, YEAR

EARLIEST_DATE = dt.date(1900, 1, 1)
JOINING_AGE = 18
MOBILE_MESSAGE = _("手机号码应为 11 位数字，以 1 开头")

# (field name, message); the message names the field, so it reads on its own too.
Problem = tuple[str, str]


def member_problems(
    *,
    birth_date: dt.date | None,
    joined_on: dt.date | None,
    mobile: str,
    today: dt.date | None = None,
) -> list[Problem]:
    """What breaks a member's rules, as (field, Chinese message) pairs; empty when none.

    A date that is missing or out of bounds is reported once, on its own
    field, and left out of the checks that compare it with the other date.
    """
    today = today or timezone.localdate()
    problems: list[Problem] = []
    if birth_date is not None and not EARLIEST_DATE <= birth_date <= today:
        problems.append(_out_of_bounds("birth_date", _("出生日期"), birth_date, today))
        birth_date = None
    if joined_on is not None and not EARLIEST_DATE <= joined_on <= today:
        problems.append(_out_of_bounds("joined_on", _("入党日期"), joined_on, today))
        joined_on = None
    if birth_date is not None and joined_on is not None:
        if joined_on <= birth_date:
            problems.append(("joined_on", gettext("入党日期应晚于出生日期")))
        elif age_on(joined_on, birth_date) < JOINING_AGE:
            problems.append(("joined_on", gettext("入党时未满 %(n)s 周岁") % {"n": JOINING_AGE}))
    if mobile and not is_mobile(mobile):
        problems.append(("mobile", str(MOBILE_MESSAGE)))
    return problems


def _out_of_bounds(name: str, label: Any, day: dt.date, today: dt.date) -> Problem:
    if day > today:
        return (name, gettext("%(field)s不能晚于今天") % {"field": label})
    return (
        name,
        gettext("%(field)s不能早于 %(year)s 年") % {"field": label, "year": EARLIEST_DATE.year},
    )


def age_on(day: dt.date, born: dt.date) -> int:
    """Whole years of age on ``day`` (a birthday on 29 February counts from 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_mobile(text: str) -> bool:
    """A mainland mobile number: 11 ASCII digits, 1 then 3–9."""
    return (
        len(text) == 11
        and text.isascii()
        and text.isdigit()
        and text[0] == "1"
        and text[1] in "3456789"
    )


# 发文机关 and 文号 of the documents an organisation issues when none is
# configured on it (core.documents numbers them), so a new district prints a
# sensible 版头 before anyone opens the admin.


def default_issuing_organ(name: str, *, is_root: bool) -> str:
    """发文机关 when none is configured.

    A root (the district committee) issues district-wide documents through its
    organisation department: 中共明湖区委员会 → 中共明湖区委组织部. Any other
    organisation signs as itself, under 中共 (中共第一党支部, 中共明湖区第1局党组):
    its name, not a guessed 支部委员会, since a small branch has no committee.
    """
    name = name.strip()
    if is_root:
        if name.endswith("委员会"):
            return name.removesuffix("委员会") + "委组织部"
        return name + "组织部"
    return name if name.startswith("中共") else "中共" + name


def default_number_pattern(name: str, short_name: str, *, is_root: bool) -> str:
    """文号 pattern when none is configured: 机关代字〔年份〕顺序号号 (GB/T 9704 7.2.4).

    The 代字 is the short name if there is one; a root's is the first character
    of its place and 组 (中共明湖区委员会 → 明组, the organisation department's);
    else the name without 中共, which the admin will usually shorten.
    """
    if short_name.strip():
        code = short_name.strip()
    else:
        bare = name.strip().removeprefix("中共")
        code = bare[:1] + "组" if is_root else bare
    return f"{code}〔{YEAR}〕{NUMBER}号"
