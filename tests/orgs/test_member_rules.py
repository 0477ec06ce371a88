"""One set of member rules: the page, the service and the import refuse the same row alike.

A member who joined at 8 used to be accepted by the form and refused by the
import; each bad row below goes through all three paths and must be refused
by each with the same message on the same field.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.tabular import read_table
from orgs import services
from orgs.importers import import_members
from orgs.models import Member
from orgs.rules import member_problems
from tests.orgs.test_imports import MEMBER_HEADERS, csv_bytes

GOOD = {
    "number": "R001",
    "name": "新党员",
    "gender": "female",
    "birth_date": "1990-03-08",
    "joined_on": "2015-07-01",
    "category": "full",
    "post": "",
    "mobile": "13912345678",
}
HEADER_OF = {
    "birth_date": "出生日期",
    "joined_on": "入党日期",
    "mobile": "手机号码",
}
NEXT_YEAR = f"{dt.date.today().year + 1}-01-01"

# (case, change to the good row, the refusal: field → message)
BAD_ROWS = [
    ("joined at 8", {"birth_date": "2000-01-01", "joined_on": "2008-07-01"}, {"joined_on": "入党时未满 18 周岁"}),
    ("joined a day before 18", {"birth_date": "2000-03-08", "joined_on": "2018-03-07"}, {"joined_on": "入党时未满 18 周岁"}),
    ("joined before birth", {"birth_date": "2000-01-01", "joined_on": "1999-01-01"}, {"joined_on": "入党日期应晚于出生日期"}),
    ("joined on the birthday", {"birth_date": "2000-01-01", "joined_on": "2000-01-01"}, {"joined_on": "入党日期应晚于出生日期"}),
    ("joined in the future", {"joined_on": NEXT_YEAR}, {"joined_on": "入党日期不能晚于今天"}),
    ("born in the future", {"birth_date": NEXT_YEAR}, {"birth_date": "出生日期不能晚于今天"}),
    ("born before 1900", {"birth_date": "1899-12-31", "joined_on": "1930-07-01"}, {"birth_date": "出生日期不能早于 1900 年"}),
    ("both dates before 1900", {"birth_date": "1870-01-01", "joined_on": "1899-07-01"}, {"birth_date": "出生日期不能早于 1900 年", "joined_on": "入党日期不能早于 1900 年"}),
    ("mobile too short", {"mobile": "12345"}, {"mobile": "手机号码应为 11 位数字，以 1 开头"}),
    ("mobile second digit 2", {"mobile": "12012345678"}, {"mobile": "手机号码应为 11 位数字，以 1 开头"}),
    ("mobile with letters", {"mobile": "1391234567x"}, {"mobile": "手机号码应为 11 位数字，以 1 开头"}),
    ("mobile in full-width digits", {"mobile": "１３９１２３４５６７８"}, {"mobile": "手机号码应为 11 位数字，以 1 开头"}),
]  # fmt: skip

CHOICE_LABELS = {"female": "女", "full": "正式党员"}


def _import_row(values: dict[str, str], organization_code: str) -> list[str]:
    return [
        values["number"],
        values["name"],
        CHOICE_LABELS[values["gender"]],
        values["birth_date"],
        values["joined_on"],
        CHOICE_LABELS[values["category"]],
        organization_code,
        values["post"],
        values["mobile"],
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("case,change,refusal", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_page_service_and_import_refuse_a_bad_member_alike(district, login, case, change, refusal):
    values = GOOD | change
    expected = {field: [message] for field, message in refusal.items()}

    # The page (the secretary's member form).
    client = login(district.users["secretary"])
    response = client.post(
        reverse("orgs:member_create", kwargs={"organization_pk": district.branch.pk}), values
    )
    assert response.status_code == 200
    assert response.context["form"].errors == expected

    # The service, as any other caller uses it.
    typed = dict(values)
    for name in ("birth_date", "joined_on"):
        typed[name] = dt.date.fromisoformat(values[name])
    with pytest.raises(ValidationError) as refused:
        services.member_create(organization=district.branch, **typed)
    assert refused.value.message_dict == expected

    # The import, from the same row.
    row = _import_row(values, district.branch.code)
    report = import_members(
        read_table(csv_bytes(MEMBER_HEADERS, [row]), "m.csv"),
        user=district.users["committee"],
        dry_run=False,
    )
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, HEADER_OF[field], message) for field, message in refusal.items()
    ]
    assert not Member.objects.filter(number="R001").exists()


@pytest.mark.django_db
def test_the_good_row_passes_every_path(district, login):
    """The baseline of the cases above: without their change, each path accepts it."""
    client = login(district.users["secretary"])
    url = reverse("orgs:member_create", kwargs={"organization_pk": district.branch.pk})
    assert client.post(url, GOOD).status_code == 302
    Member.objects.filter(number="R001").delete()
    report = import_members(
        read_table(csv_bytes(MEMBER_HEADERS, [_import_row(GOOD, district.branch.code)]), "m.csv"),
        user=district.users["committee"],
        dry_run=False,
    )
    assert report.ok and report.created == 1


@pytest.mark.django_db
def test_editing_a_member_applies_the_same_rules(district, login):
    client = login(district.users["secretary"])
    member = district.member
    data = GOOD | {"number": member.number, "birth_date": "2000-01-01", "joined_on": "2008-07-01"}
    response = client.post(reverse("orgs:member_edit", kwargs={"pk": member.pk}), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"joined_on": ["入党时未满 18 周岁"]}
    member.refresh_from_db()
    assert member.joined_on != dt.date(2008, 7, 1)


def test_eighteen_is_reached_on_the_birthday():
    today = dt.date(2024, 6, 1)

    def joined(born: str, on: str) -> list:
        return member_problems(
            birth_date=dt.date.fromisoformat(born),
            joined_on=dt.date.fromisoformat(on),
            mobile="",
            today=today,
        )

    assert joined("2000-03-08", "2018-03-08") == []
    assert joined("2000-02-29", "2018-03-01") == []  # no 29 February in 2018
    assert joined("2000-02-29", "2018-02-28") == [("joined_on", "入党时未满 18 周岁")]
    assert joined("2000-01-01", "2024-06-01") == []  # joining today is allowed
