"""The plan pages: the workflow through the views, refused moves, lists, scope and files.

Named users from ``make_district``: the branch secretary files the plan of 第一党支部;
the committee user (staff of the street, above the branch's community) accepts or
returns it; the sibling secretary cannot see it; far_branch is outside the
committee user's scope.
"""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign import plans
from campaign.models import Campaign, Plan, PlanAttachment, SectorGuidance
from orgs.models import Organization
from tests.factories import OrganizationFactory, sector

pytestmark = pytest.mark.django_db

FOUR_CLEAR = {
    "theme": "争当和谐先锋",
    "carriers": "党员责任区、志愿服务队",
    "conditions": "五个好",
    "commitments": "为居民办好十件实事",
}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def url(name: str, campaign: Campaign, organization: Organization) -> str:
    return reverse(
        f"campaign:{name}", kwargs={"campaign_pk": campaign.pk, "organization_pk": organization.pk}
    )


def texts(response) -> list[str]:
    """The messages the user sees: on the page a refused or done POST redirects to."""
    if response.status_code == 302:
        response = response.client.get(response["Location"])
    return [str(m) for m in get_messages(response.wsgi_request)]


def submitted_plan(district, campaign, organization=None) -> Plan:
    organization = organization or district.branch
    plan = plans.plan_for(campaign=campaign, organization=organization)
    plan = plans.plan_save(plan=plan, user=district.users["admin"], **FOUR_CLEAR)
    return plans.plan_submit(plan=plan, user=district.users["admin"])


def snapshot(plan: Plan) -> tuple:
    plan.refresh_from_db()
    return (plan.state, plan.theme, plan.return_reason, plan.reviewed_at, plan.submitted_at)


# ------------------------------------------------------------------ the workflow


def test_branch_secretary_files_and_committee_accepts(district, campaign, login):
    client = login(district.users["secretary"])
    response = client.post(url("plan_edit", campaign, district.branch), FOUR_CLEAR)
    assert response.status_code == 302
    assert texts(response) == ["方案已保存"]
    plan = Plan.objects.get(campaign=campaign, organization=district.branch)
    assert plan.state == Plan.State.DRAFT and plan.theme == FOUR_CLEAR["theme"]

    response = client.post(url("plan_submit", campaign, district.branch))
    assert texts(response) == ["方案已报送上级党组织"]
    plan.refresh_from_db()
    assert plan.state == Plan.State.SUBMITTED and plan.submitted_at is not None

    client = login(district.users["committee"])
    page = client.get(url("plan_detail", campaign, district.branch))
    assert "同意备案" in page.content.decode()
    response = client.post(url("plan_accept", campaign, district.branch))
    assert texts(response) == ["方案已备案"]
    plan.refresh_from_db()
    assert plan.state == Plan.State.ACCEPTED
    assert plan.reviewed_by == district.users["committee"]
    assert "已备案" in client.get(url("plan_detail", campaign, district.branch)).content.decode()


def test_returned_plan_shows_its_reason_and_can_be_resubmitted(district, campaign, login):
    plan = submitted_plan(district, campaign)
    client = login(district.users["committee"])
    response = client.post(url("plan_return", campaign, district.branch), {"reason": "承诺不具体"})
    assert texts(response) == ["方案已退回"]
    plan.refresh_from_db()
    assert plan.state == Plan.State.RETURNED and plan.return_reason == "承诺不具体"

    client = login(district.users["secretary"])
    page = client.get(url("plan_detail", campaign, district.branch)).content.decode()
    assert "承诺不具体" in page and "退回" in page
    client.post(url("plan_edit", campaign, district.branch), FOUR_CLEAR | {"commitments": "三件"})
    response = client.post(url("plan_submit", campaign, district.branch))
    assert texts(response)[-1] == "方案已报送上级党组织"
    plan.refresh_from_db()
    assert plan.state == Plan.State.SUBMITTED and plan.commitments == "三件"


def test_get_on_a_unit_without_a_plan_shows_an_empty_form_and_writes_nothing(
    district, campaign, login
):
    client = login(district.users["secretary"])
    response = client.get(url("plan_detail", campaign, district.branch))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="theme"' in content and "未填写" in content
    # One form: what is typed is saved as a draft, or saved and submitted at once.
    assert "保存草稿" in content and "保存并报送上级党组织" in content
    assert not Plan.objects.exists()


def test_plan_page_shows_the_sector_guidance_of_the_unit(district, campaign, login):
    guidance = SectorGuidance.objects.get(campaign=campaign, sector=district.branch.sector)
    client = login(district.users["secretary"])
    content = client.get(url("plan_detail", campaign, district.branch)).content.decode()
    assert guidance.title in content
    assert guidance.requirements.splitlines()[0] in content
    other = SectorGuidance.objects.exclude(sector=district.branch.sector).first()
    assert other.title not in content


# ------------------------------------------------------------------ refused moves


def test_accepting_a_draft_is_refused(district, campaign, login):
    plan = plans.plan_save(
        plan=plans.plan_for(campaign=campaign, organization=district.branch),
        user=district.users["secretary"],
        **FOUR_CLEAR,
    )
    before = snapshot(plan)
    client = login(district.users["committee"])
    response = client.post(url("plan_accept", campaign, district.branch))
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", campaign, district.branch)
    assert texts(response) == ["方案当前为“草稿”，不能备案"]
    assert snapshot(plan) == before


def test_sibling_secretary_cannot_accept_or_even_see_the_plan(district, campaign, login):
    plan = submitted_plan(district, campaign)
    before = snapshot(plan)
    client = login(district.users["sibling_secretary"])
    # Outside the sibling's scope the plan is as missing as a wrong id.
    assert client.post(url("plan_accept", campaign, district.branch)).status_code == 404
    assert client.get(url("plan_detail", campaign, district.branch)).status_code == 404
    assert snapshot(plan) == before


def test_unit_cannot_accept_its_own_plan(district, campaign, login):
    plan = submitted_plan(district, campaign)
    before = snapshot(plan)
    client = login(district.users["secretary"])
    assert (
        "同意备案" not in client.get(url("plan_detail", campaign, district.branch)).content.decode()
    )
    response = client.post(url("plan_accept", campaign, district.branch))
    assert response.status_code == 302
    assert texts(response) == ["只有上级党组织或活动办公室可以备案"]
    response = client.post(url("plan_return", campaign, district.branch), {"reason": "自己退回"})
    assert texts(response) == ["只有上级党组织或活动办公室可以退回"]
    assert snapshot(plan) == before


def test_editing_an_accepted_plan_is_refused(district, campaign, login):
    plan = plans.plan_accept(
        plan=submitted_plan(district, campaign), user=district.users["committee"]
    )
    before = snapshot(plan)
    client = login(district.users["secretary"])
    page = client.get(url("plan_detail", campaign, district.branch)).content.decode()
    assert 'name="theme"' not in page and FOUR_CLEAR["theme"] in page
    response = client.post(url("plan_edit", campaign, district.branch), {"theme": "改过的主题"})
    assert response.status_code == 302
    assert texts(response) == ["方案已备案，不能修改"]
    response = client.post(
        url("attachment_upload", campaign, district.branch),
        {"file": SimpleUploadedFile("a.pdf", PDF)},
    )
    assert texts(response) == ["方案已备案，不能添加附件"]
    assert snapshot(plan) == before
    assert not PlanAttachment.objects.exists()


def test_returning_without_a_reason_is_refused(district, campaign, login):
    plan = submitted_plan(district, campaign)
    before = snapshot(plan)
    client = login(district.users["committee"])
    for data in ({}, {"reason": "   "}):
        response = client.post(url("plan_return", campaign, district.branch), data)
        assert response.status_code == 302
        assert texts(response) == ["退回必须填写理由"]
    assert snapshot(plan) == before


def test_submitting_without_the_four_clear_is_refused(district, campaign, login):
    client = login(district.users["secretary"])
    client.post(url("plan_edit", campaign, district.branch), {"theme": "只有主题"})
    response = client.post(url("plan_submit", campaign, district.branch))
    assert texts(response)[-1] == "方案必填栏目未填写完整：活动载体、创建条件、承诺内容"
    assert Plan.objects.get().state == Plan.State.DRAFT


def test_submitting_before_anything_is_saved_writes_nothing(district, campaign, login):
    client = login(district.users["secretary"])
    response = client.post(url("plan_submit", campaign, district.branch))
    assert texts(response) == ["请先填写并保存方案，再报送"]
    assert not Plan.objects.exists()


def test_too_long_theme_is_shown_on_the_form(district, campaign, login):
    client = login(district.users["secretary"])
    response = client.post(url("plan_edit", campaign, district.branch), {"theme": "长" * 201})
    assert response.status_code == 400
    assert "200" in response.content.decode()
    assert not Plan.objects.exists()


# ------------------------------------------------------------------ scope


def test_far_branch_plan_is_404_to_the_committee_user(district, campaign, login):
    submitted_plan(district, campaign, district.far_branch)
    client = login(district.users["committee"])
    for name in ("plan_detail", "plan_print"):
        assert client.get(url(name, campaign, district.far_branch)).status_code == 404
    for name in ("plan_edit", "plan_submit", "plan_accept", "plan_return", "attachment_upload"):
        assert client.post(url(name, campaign, district.far_branch)).status_code == 404
    assert Plan.objects.get().state == Plan.State.SUBMITTED


def test_campaign_of_another_district_is_404(district, campaign, login):
    other_root = OrganizationFactory(code="X", name="中共别区委", sector=sector("机关"))
    other = Campaign.objects.create(
        organization=other_root,
        name="别区活动",
        start_date=campaign.start_date,
        end_date=campaign.end_date,
    )
    client = login(district.users["committee"])
    assert client.get(url("plan_detail", other, district.branch)).status_code == 404
    response = client.get(reverse("campaign:plan_list"))
    assert other.name not in response.content.decode()


def test_list_shows_only_plans_in_scope(district, campaign, login):
    submitted_plan(district, campaign, district.branch)
    submitted_plan(district, campaign, district.far_branch)
    client = login(district.users["committee"])
    content = client.get(reverse("campaign:plan_list")).content.decode()
    assert district.branch.name in content
    assert district.far_branch.name not in content
    client = login(district.users["no_role"])
    response = client.get(reverse("campaign:plan_list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


# ------------------------------------------------------------------ lists and filters


def listed(client, **params) -> set[str]:
    response = client.get(reverse("campaign:plan_list"), params)
    assert response.status_code == 200
    return {p.organization.code for p in response.context["page"]}


def test_list_filters_by_state_sector_campaign_and_subtree(district, campaign, login):
    submitted_plan(district, campaign, district.branch)
    plans.plan_for(campaign=campaign, organization=district.sibling)
    farming = sector("农村")
    Organization.objects.filter(pk=district.far_branch.pk).update(sector=farming)
    submitted_plan(district, campaign, district.far_branch)
    client = login(district.users["office"])
    assert listed(client) == {"R-S1-C1-B1", "R-S1-C1-B2", "R-S2-B1"}
    assert listed(client, state="submitted") == {"R-S1-C1-B1", "R-S2-B1"}
    assert listed(client, state="draft") == {"R-S1-C1-B2"}
    assert listed(client, sector=farming.pk) == {"R-S2-B1"}
    assert listed(client, campaign=campaign.pk) == {"R-S1-C1-B1", "R-S1-C1-B2", "R-S2-B1"}
    assert listed(client, organization=district.street.pk) == {"R-S1-C1-B1", "R-S1-C1-B2"}
    # A subtree outside the scope is a 404, like everything else outside it.
    client = login(district.users["committee"])
    response = client.get(reverse("campaign:plan_list"), {"organization": district.street2.pk})
    assert response.status_code == 404


def test_phase_filter_uses_the_last_submission_date(district, campaign, login):
    first, second = campaign.phases.order_by("position")[:2]
    early = submitted_plan(district, campaign, district.branch)
    late = submitted_plan(district, campaign, district.sibling)
    plans.plan_for(campaign=campaign, organization=district.far_branch)  # a draft: never submitted
    noon = dt.datetime(2010, 6, 1, 12, tzinfo=timezone.get_current_timezone())
    Plan.objects.filter(pk=early.pk).update(submitted_at=noon)
    Plan.objects.filter(pk=late.pk).update(
        submitted_at=noon.replace(year=second.start_date.year, month=second.start_date.month)
    )
    client = login(district.users["office"])
    assert listed(client, phase=first.pk) == {"R-S1-C1-B1"}
    assert listed(client, phase=second.pk) == {"R-S1-C1-B2"}


def test_units_without_a_plan(district, campaign, login):
    submitted_plan(district, campaign, district.branch)
    plans.plan_for(campaign=campaign, organization=district.sibling)  # only a draft
    client = login(district.users["committee"])
    response = client.get(
        reverse("campaign:plan_list"),
        {"missing": 1, "organization": district.street.pk, "campaign": campaign.pk},
    )
    assert response.status_code == 200
    rows = {o.code: o.draft_plan is not None for o in response.context["page"]}
    # the street itself, its community and the sibling (a draft is not filed); not the
    # branch, which has submitted, nor anything outside the committee user's scope
    assert rows == {"R-S1": False, "R-S1-C1": False, "R-S1-C1-B2": True}
    assert "草稿未报送" in response.content.decode()

    client = login(district.users["office"])
    response = client.get(reverse("campaign:plan_list"), {"missing": 1})
    codes = {o.code for o in response.context["page"]}
    # the office's whole district, except the root (nobody above it accepts a plan)
    assert codes == {"R-S1", "R-S1-C1", "R-S1-C1-B2", "R-S2", "R-S2-B1"}


def test_list_query_count_does_not_grow_with_the_number_of_plans(district, campaign, login):
    client = login(district.users["office"])

    def add_plans(n: int) -> None:
        for _ in range(n):
            unit = OrganizationFactory(parent=district.street2)
            plans.plan_for(campaign=campaign, organization=unit)

    def count(params: dict) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("campaign:plan_list"), params).status_code == 200
        return len(queries)

    add_plans(3)
    small = {k: count(p) for k, p in (("list", {}), ("missing", {"missing": 1}))}
    add_plans(30)
    large = {k: count(p) for k, p in (("list", {}), ("missing", {"missing": 1}))}
    assert small == large


# ------------------------------------------------------------------ attachments


def upload(client, district, campaign, name: str, content: bytes):
    return client.post(
        url("attachment_upload", campaign, district.branch),
        {"file": SimpleUploadedFile(name, content)},
    )


def test_a_real_pdf_is_accepted_and_downloaded_within_scope(district, campaign, login):
    client = login(district.users["secretary"])
    response = upload(client, district, campaign, "实施方案.pdf", PDF)
    assert texts(response) == ["已上传附件：实施方案.pdf"]
    attachment = PlanAttachment.objects.get()
    assert attachment.content_type == "application/pdf"
    download = reverse("campaign:attachment_download", kwargs={"pk": attachment.pk})
    assert download in client.get(url("plan_detail", campaign, district.branch)).content.decode()

    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]

    assert login(district.users["committee"]).get(download).status_code == 200
    assert login(district.users["sibling_secretary"]).get(download).status_code == 404
    assert login(district.users["no_role"]).get(download).status_code == 404


def test_a_png_named_pdf_is_refused(district, campaign, login):
    client = login(district.users["secretary"])
    response = upload(client, district, campaign, "方案.pdf", PNG)
    assert response.status_code == 302
    assert texts(response) == ["文件内容与扩展名不符：方案.pdf"]
    response = upload(client, district, campaign, "方案.exe", b"MZ\x90\x00" * 8)
    assert texts(response) == ["只接受 PDF、DOCX、PNG、JPG 文件：方案.exe"]
    assert not PlanAttachment.objects.exists()


def test_an_oversize_attachment_is_refused(district, campaign, login, monkeypatch):
    monkeypatch.setattr(plans, "ATTACHMENT_MAX_BYTES", 64)
    client = login(district.users["secretary"])
    response = upload(client, district, campaign, "方案.pdf", PDF + b" " * 64)
    assert texts(response)[0].startswith("附件过大")
    assert not PlanAttachment.objects.exists()


def test_uploading_without_a_file_shows_a_message(district, campaign, login):
    client = login(district.users["secretary"])
    response = client.post(url("attachment_upload", campaign, district.branch))
    assert texts(response) == ["请选择要上传的文件"]


# ------------------------------------------------------------------ print


def test_print_page_has_the_plan_and_no_navigation(district, campaign, login):
    submitted_plan(district, campaign)
    client = login(district.users["committee"])
    response = client.get(url("plan_print", campaign, district.branch))
    content = response.content.decode()
    assert response.status_code == 200
    assert FOUR_CLEAR["commitments"] in content and "@page" in content and "A4" in content
    assert 'class="nav"' not in content


def test_the_reviewers_tab_title_is_the_plan_name_not_the_review_form(district, campaign, login):
    """While a plan is 已报送 the reviewer's page has the 备案/退回 forms; none of
    them may leak into <title> (raw HTML and the CSRF token did)."""
    submitted_plan(district, campaign)
    response = login(district.users["committee"]).get(url("plan_detail", campaign, district.branch))
    page = response.content.decode()
    assert "同意备案" in page  # the review forms are on the page
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.strip() == f"{district.branch.name} · 实施方案 · 创先争优活动管理系统"
    assert "<" not in title and "csrfmiddlewaretoken" not in title
    assert str(response.context["csrf_token"]) not in title
