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

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
        problems.append(_out_of_bounds("birth_date", "出生日期", birth_date, today))
        birth_date = None
    if joined_on is not None and not EARLIEST_DATE <= joined_on <= today:
        problems.append(_out_of_bounds("joined_on", "入党日期", joined_on, today))
        joined_on = None
    if birth_date is not None and joined_on is not None:
        if joined_on <= birth_date:
            problems.append(("joined_on", "入党日期应晚于出生日期"))
        elif age_on(joined_on, birth_date) < JOINING_AGE:
            problems.append(("joined_on", f"入党时未满 {JOINING_AGE} 周岁"))
    if mobile and not is_mobile(mobile):
        problems.append(("mobile", str(MOBILE_MESSAGE)))
    return problems


def _out_of_bounds(name: str, label: str, day: dt.date, today: dt.date) -> Problem:
    if day > today:
        return (name, f"{label}不能晚于今天")
    return (name, f"{label}不能早于 {EARLIEST_DATE.year} 年")


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
