"""Who issues an organisation's documents (发文机关) and how their 文号 read:
configured in the admin, else derived from the organisation's name."""

import pytest
from django.urls import reverse

from orgs import rules
from orgs.models import Organization


@pytest.mark.parametrize(
    ("name", "is_root", "organ"),
    [
        ("中共明湖区委员会", True, "中共明湖区委组织部"),
        ("中共测试区委", True, "中共测试区委组织部"),
        ("中共明湖区第1街道工作委员会", False, "中共明湖区第1街道工作委员会"),
        ("第1街道第1社区第1党支部", False, "中共第1街道第1社区第1党支部"),
        ("明湖区第1局党组", False, "中共明湖区第1局党组"),
    ],
)
def test_the_default_organ_is_the_roots_organisation_department_else_the_unit(name, is_root, organ):
    assert rules.default_issuing_organ(name, is_root=is_root) == organ


def test_the_default_pattern_uses_the_short_name_else_a_code_from_the_name():
    assert rules.default_number_pattern("中共明湖区委员会", "", is_root=True) == (
        "明组〔{year}〕{number}号"
    )
    assert rules.default_number_pattern("第一党支部", "一支", is_root=False) == (
        "一支〔{year}〕{number}号"
    )
    assert rules.default_number_pattern("中共第一党支部", "", is_root=False) == (
        "第一党支部〔{year}〕{number}号"
    )


def test_an_organisation_issues_as_configured_else_by_default(district):
    organ = district.root.as_organ()
    assert (organ.key, organ.name, organ.number_pattern) == (
        district.root.pk,
        "中共测试区委组织部",
        "测组〔{year}〕{number}号",
    )
    branch = district.branch
    branch.issuing_organ = "中共第一支部委员会"
    branch.document_number_pattern = "一支〔{year}〕{number}号"
    assert branch.as_organ().name == "中共第一支部委员会"
    assert branch.as_organ().number_pattern == "一支〔{year}〕{number}号"


def _change_form(organization: Organization, **changes) -> dict:
    data = {
        "code": organization.code,
        "name": organization.name,
        "short_name": organization.short_name,
        "kind": organization.kind,
        "sector": organization.sector_id,
        "parent": organization.parent_id or "",
        "secretary_name": organization.secretary_name,
        "phone": organization.phone,
        "founded_on": "",
        "is_active": "on",
        "issuing_organ": organization.issuing_organ,
        "document_number_pattern": organization.document_number_pattern,
    }
    return {**data, **changes}


def test_the_admin_shows_the_organ_in_use_and_refuses_a_pattern_without_the_year(district, login):
    client = login(district.users["admin"])
    url = reverse("admin:orgs_organization_change", args=[district.root.pk])
    page = client.get(url).content.decode()
    assert "中共测试区委组织部" in page and "测组〔{year}〕{number}号" in page

    response = client.post(
        url, _change_form(district.root, document_number_pattern="测组〔2026〕{number}号")
    )
    assert response.status_code == 200
    assert "文号格式应含一个 {year}（年份），现有 0 个" in response.content.decode()
    district.root.refresh_from_db()
    assert district.root.document_number_pattern == ""

    response = client.post(
        url,
        _change_form(
            district.root,
            issuing_organ="中共测试区委创先争优活动领导小组",
            document_number_pattern="测创〔{year}〕{number}号",
        ),
    )
    assert response.status_code == 302
    district.root.refresh_from_db()
    assert district.root.as_organ().name == "中共测试区委创先争优活动领导小组"
    assert district.root.as_organ().number_pattern == "测创〔{year}〕{number}号"
