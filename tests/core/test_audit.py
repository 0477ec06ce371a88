"""Every write path leaves an audit entry: pages, admin, imports (bulk), commands and jobs."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from orgs.models import Organization, Role, RoleGrant
from tests.factories import UserFactory
from tests.orgs.test_imports import (
    MEMBER_HEADERS,
    ORG_HEADERS,
    ORG_ROWS,
    csv_bytes,
    member_rows,
    xlsx,
)

pytestmark = pytest.mark.django_db


def entries(model=None, **filters):
    qs = AuditEntry.objects.all()
    if model:
        qs = qs.filter(model=model)
    return list(qs.filter(**filters).order_by("id"))


def test_page_edits_record_who_and_the_values_before_and_after(district, login):
    client = login(district.users["committee"])
    client.post(
        reverse("orgs:organization_edit", kwargs={"pk": district.branch.pk}),
        {
            "code": district.branch.code,
            "name": "第一党支部（新）",
            "kind": "branch",
            "sector": district.branch.sector_id,
            "is_active": "on",
        },
    )
    (entry,) = entries("orgs.organization", action="update")
    assert entry.source == "page" and entry.actor_id == district.users["committee"].pk
    assert entry.changes == {"name": ["第一党支部", "第一党支部（新）"]}
    assert entry.organization_id == district.branch.pk


def test_moves_transfers_and_deletes_are_recorded(district, login):
    client = login(district.users["office"])
    client.post(
        reverse("orgs:member_transfer", kwargs={"pk": district.member.pk}),
        {"to": district.sibling.pk, "transferred_on": "2026-01-05"},
    )
    (moved,) = entries("orgs.member")
    assert moved.changes == {"organization_id": [district.branch.pk, district.sibling.pk]}
    new = Organization.objects.create(
        code="TMP",
        name="临时",
        kind="branch",
        sector=district.branch.sector,
        parent=district.community,
    )
    client.post(
        reverse("orgs:organization_move", kwargs={"pk": new.pk}),
        {"new_parent": district.street2.pk},
    )
    client.post(reverse("orgs:organization_delete", kwargs={"pk": new.pk}))
    move, delete = entries("orgs.organization", object_id=str(new.pk))
    assert move.changes == {"parent_id": [district.community.pk, district.street2.pk]}
    assert delete.action == "delete" and delete.changes["code"] == ["TMP", None]


def test_admin_changes_including_role_grants_are_recorded(district, login):
    client = login(district.users["admin"])
    secretary = district.users["secretary"]
    client.post(
        reverse("admin:orgs_rolegrant_add"),
        {
            "user": secretary.pk,
            "organization": district.sibling.pk,
            "role": Role.BRANCH_SECRETARY,
            "granted_at_0": "2026-01-01",
            "granted_at_1": "10:00:00",
        },
    )
    grant = RoleGrant.objects.get(user=secretary, organization=district.sibling)
    client.post(
        reverse("admin:orgs_rolegrant_delete", kwargs={"object_id": grant.pk}), {"post": "yes"}
    )
    created, deleted = entries("orgs.rolegrant")
    assert created.source == deleted.source == "admin"
    assert created.action == "create" and created.changes["role"] == [None, "branch_secretary"]
    assert deleted.action == "delete" and deleted.organization_id == district.sibling.pk


def test_imports_record_each_row_in_bulk_from_commands(tmp_path):
    orgs_file = tmp_path / "orgs.xlsx"
    orgs_file.write_bytes(xlsx(ORG_HEADERS, ORG_ROWS))
    call_command("import_orgs", str(orgs_file))
    people = tmp_path / "members.csv"
    people.write_bytes(csv_bytes(MEMBER_HEADERS, member_rows()))
    call_command("import_members", str(people))
    assert len(entries("orgs.organization", action="create", source="command")) == 4
    # The organisation's page shows them (parents are stored by code by the importer).
    admin = UserFactory(username="root-admin", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    page = client.get(
        reverse("orgs:organization_detail", kwargs={"pk": Organization.objects.get(code="X-1").pk})
    )
    assert page.status_code == 200
    # A new record lists what it was given ("label：value", no "— →").
    assert "上级组织：X" in page.content.decode() and "组织类型：党总支" in page.content.decode()
    (created,) = entries("orgs.member", action="create")  # one entry per organisation and action
    assert (
        created.source == "command"
        and created.organization_id == Organization.objects.get(code="X-1-1").pk
    )
    lines = created.rows.splitlines()
    assert lines == ["number,name", "P0000,党员0", "P0001,党员1", "P0002,党员2"]

    rows = member_rows()
    rows[0][1] = "改名"
    people.write_bytes(csv_bytes(MEMBER_HEADERS, rows))
    call_command("import_members", str(people))
    (update,) = entries("orgs.member", action="update")
    assert update.rows.splitlines()[1:] == ["P0000,改名,name,党员0,改名"]
    call_command("import_members", str(people))  # nothing changes, nothing recorded
    assert len(entries("orgs.member")) == 2


def test_an_upload_job_records_its_starter_and_job(
    district, login, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import Job

    client = login(district.users["committee"])
    rows = [
        ["A1", "甲", "女", "1990-03-08", "2015-07-01", "正式党员", district.branch.code, "", ""]
    ]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("orgs:import_upload"),
            {
                "target": "members",
                "file": SimpleUploadedFile("m.csv", csv_bytes(MEMBER_HEADERS, rows)),
            },
        )
    preview = Job.objects.get()
    assert not entries("orgs.member")  # a dry run records nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orgs:import_confirm", kwargs={"job_pk": preview.pk}))
    (entry,) = entries("orgs.member")
    assert entry.rows.splitlines()[1] == "A1,甲"
    job = Job.objects.exclude(pk=preview.pk).get()
    assert (entry.source, entry.actor_id, entry.job_id) == (
        "import",
        district.users["committee"].pk,
        job.pk,
    )


def test_an_organisation_page_shows_imported_members(district, login, tmp_path):
    people = tmp_path / "members.csv"
    rows = [
        ["B1", "乙", "男", "1990-01-01", "2015-07-01", "正式党员", district.branch.code, "", ""]
    ]
    people.write_bytes(csv_bytes(MEMBER_HEADERS, rows))
    call_command("import_members", str(people))
    page = login(district.users["secretary"]).get(
        reverse("orgs:organization_detail", kwargs={"pk": district.branch.pk})
    )
    assert "批量导入新增 1 名党员" in page.content.decode() and "乙（B1）" in page.content.decode()


def test_an_organisation_page_shows_its_history(district, login):
    client = login(district.users["committee"])
    client.post(
        reverse("orgs:organization_edit", kwargs={"pk": district.branch.pk}),
        {
            "code": district.branch.code,
            "name": "第一党支部",
            "kind": "branch",
            "sector": district.branch.sector_id,
            "phone": "0531-7654321",
            "is_active": "on",
        },
    )
    page = client.get(
        reverse("orgs:organization_detail", kwargs={"pk": district.branch.pk})
    ).content.decode()
    assert "变更记录" in page and "联系电话：— → 0531-7654321" in page


def test_nobody_edits_the_trail_through_the_ui(district, login):
    client = login(district.users["admin"])
    client.post(
        reverse("admin:orgs_sector_add"),
        {"name": "新兴领域", "position": 9},
    )
    (entry,) = entries("orgs.sector")
    response = client.post(
        reverse("admin:core_auditentry_change", kwargs={"object_id": entry.pk}),
        {"actor_name": "别人"},
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:core_auditentry_delete", kwargs={"object_id": entry.pk}), {"post": "yes"}
        ).status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.actor_name == "admin" and entry.source == "admin"


def _history_section(client, organization, query="") -> str:
    page = client.get(
        reverse("orgs:organization_detail", kwargs={"pk": organization.pk}) + query
    ).content.decode()
    return page.split('<section class="card" id="history">', 1)[1].split("</section>", 1)[0]


def test_the_change_record_reads_like_a_record(district, login):
    """Moves by name, Chinese labels, people by name, local times; no raw UTC
    timestamps, field names, ids or JSON."""
    import re

    from django.utils import timezone

    from campaign import plans
    from tests.factories import filed_plan, licheng_campaign

    campaign = licheng_campaign(district)
    committee = district.users["committee"]
    committee.first_name = "王审核"
    committee.save()
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    plan = plans.plan_return(plan=plan, user=committee, reason="请补充措施")
    shown = _history_section(login(district.users["secretary"]), district.branch)
    local = timezone.localtime(plan.submitted_at)
    assert f"报送时间：— → {local.year}年{local.month}月{local.day}日 {local:%H:%M}" in shown
    assert "<strong>报送</strong>" in shown and "<strong>退回</strong>" in shown
    assert "审核人：— → 王审核" in shown and "状态：已报送 → 退回" in shown
    assert "退回理由：— → 请补充措施" in shown
    text = re.sub(r"<[^>]+>", "", shown)  # what a reader sees (a <time> carries ISO for machines)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text) and "+00:00" not in text
    for raw in ("submitted_at", "reviewed_by", "return_reason", "campaign_id", "ID：", "{", "["):
        assert raw not in text, raw
    # A new record lists what it was given, not a column of empty "— → —".
    created = shown.split("<strong>新增</strong>", 1)[1]
    assert "— → —" not in created and "创先争优活动：" in created


def test_the_change_record_is_paginated(district, login):
    from core import audit

    for n in range(audit.HISTORY_PAGE_SIZE + 5):
        audit.entry(
            action=audit.Action.UPDATE,
            model="orgs.organization",
            object_id=district.branch.pk,
            object_repr=district.branch.name,
            changes={"phone": [f"0531-{n:07d}", f"0531-{n + 1:07d}"]},
            organization_id=district.branch.pk,
        ).save()
    client = login(district.users["secretary"])
    first = _history_section(client, district.branch)
    assert first.count("<strong>修改</strong>") == audit.HISTORY_PAGE_SIZE
    assert "第 1 / 2 页" in first and "?history=2#history" in first
    second = _history_section(client, district.branch, "?history=2")
    assert second.count("<strong>修改</strong>") == 5 and "0531-0000000 → 0531-0000001" in second
