"""The plan workflow at the service level: legal and illegal moves, attachments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaign import plans
from campaign.models import Plan
from core.models import AuditEntry
from tests.factories import PLAN_FOUR

pytestmark = pytest.mark.django_db

FOUR = PLAN_FOUR


def test_a_plan_goes_from_draft_to_accepted(district, campaign):
    secretary, committee = district.users["secretary"], district.users["committee"]
    plan = plans.plan_for(campaign=campaign, organization=district.branch)
    plan = plans.plan_save(plan=plan, user=secretary, **FOUR)
    plan = plans.plan_submit(plan=plan, user=secretary)
    assert plan.state == Plan.State.SUBMITTED and plan.submitted_at
    plan = plans.plan_accept(plan=plan, user=committee)
    assert plan.state == Plan.State.ACCEPTED and plan.reviewed_by == committee
    moves = AuditEntry.objects.filter(model="campaign.plan", action="update").order_by("id")
    assert [e.changes.get("state") for e in moves if "state" in e.changes] == [
        ["draft", "submitted"],
        ["submitted", "accepted"],
    ]


def test_a_returned_plan_needs_a_reason_and_can_be_resubmitted(district, campaign):
    secretary, office = district.users["secretary"], district.users["office"]
    plan = plans.plan_save(
        plan=plans.plan_for(campaign=campaign, organization=district.branch), user=secretary, **FOUR
    )
    plan = plans.plan_submit(plan=plan, user=secretary)
    with pytest.raises(plans.PlanError, match="退回必须填写理由"):
        plans.plan_return(plan=plan, user=office, reason="  ")
    plan = plans.plan_return(plan=plan, user=office, reason="承诺内容不够具体")
    assert plan.state == Plan.State.RETURNED and plan.return_reason == "承诺内容不够具体"
    plan = plans.plan_save(plan=plan, user=secretary, commitments="三项承诺，每季度公示")
    assert plans.plan_submit(plan=plan, user=secretary).state == Plan.State.SUBMITTED


@pytest.mark.parametrize(
    "who,move,message",
    [
        ("committee", "accept_draft", "方案当前为“草稿”，不能备案"),
        ("sibling_secretary", "accept", "只有上级党组织或活动办公室可以备案"),
        ("secretary", "accept", "只有上级党组织或活动办公室可以备案"),
        ("secretary", "edit_accepted", "不能修改"),
        ("committee", "submit_incomplete", "方案必填栏目未填写完整：活动载体、创建条件、承诺内容"),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(district, campaign, who, move, message):
    secretary, user = district.users["secretary"], district.users[who]
    plan = plans.plan_for(campaign=campaign, organization=district.branch)
    if move == "submit_incomplete":
        plans.plan_save(plan=plan, user=secretary, theme="只有主题")
        call = lambda: plans.plan_submit(plan=plan, user=user)  # noqa: E731
    else:
        plan = plans.plan_save(plan=plan, user=secretary, **FOUR)
        if move != "accept_draft":
            plan = plans.plan_submit(plan=plan, user=secretary)
        if move == "edit_accepted":
            plan = plans.plan_accept(plan=plan, user=district.users["committee"])
            call = lambda: plans.plan_save(plan=plan, user=user, theme="改")  # noqa: E731
        else:
            call = lambda: plans.plan_accept(plan=plan, user=user)  # noqa: E731
    before = Plan.objects.values().get(pk=plan.pk)
    with pytest.raises(plans.PlanError, match=message):
        call()
    assert Plan.objects.values().get(pk=plan.pk) == before


def test_a_plan_outside_the_campaign_tree_is_refused(district, campaign):
    from tests.factories import OrganizationFactory

    elsewhere = OrganizationFactory(code="OTHER", name="外区党委")
    with pytest.raises(plans.PlanError, match="不在本次活动范围内"):
        plans.plan_for(campaign=campaign, organization=elsewhere)


@pytest.mark.parametrize(
    "name,content,ok,message",
    [
        ("方案.pdf", b"%PDF-1.4\n1 0 obj\n", True, ""),
        ("照片.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, True, ""),
        ("方案.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, False, "文件内容与扩展名不符"),
        ("脚本.pdf", b"#!/bin/sh\nrm -rf /\n", False, "只接受 PDF、DOCX、PNG、JPG 文件"),
    ],
)
def test_attachments_are_checked_by_content(
    district, campaign, name, content, ok, message, settings, tmp_path
):
    plan = plans.plan_for(campaign=campaign, organization=district.branch)
    upload = SimpleUploadedFile(name, content)
    if ok:
        attachment = plans.attachment_add(
            plan=plan, user=district.users["secretary"], upload=upload
        )
        assert attachment.size == len(content) and attachment.file.read() == content
    else:
        with pytest.raises(plans.PlanError, match=message):
            plans.attachment_add(plan=plan, user=district.users["secretary"], upload=upload)
        assert not plan.attachments.exists()


def test_an_oversized_attachment_is_refused(district, campaign, monkeypatch):
    monkeypatch.setattr(plans, "ATTACHMENT_MAX_BYTES", 10)
    plan = plans.plan_for(campaign=campaign, organization=district.branch)
    with pytest.raises(plans.PlanError, match="附件过大"):
        plans.attachment_add(
            plan=plan,
            user=district.users["secretary"],
            upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 and more"),
        )
