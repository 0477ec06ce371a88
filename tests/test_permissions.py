"""The URL × role matrix: every URL from the resolver, for every kind of user.

A URL with no rule here fails ``test_every_url_has_a_rule``: adding a view
means deciding who may use it. Objects outside a user's subtree answer 404,
exactly like a missing id; read-only access to something a user can see is 403.
"""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from campaign.models import ContactPoint
from campaign.plans import attachment_add, plan_for, plan_save, plan_submit
from campaign.seeds import seed_data
from campaign.services import campaign_load
from core.models import AuditEntry, Job
from orgs.models import MemberTransfer
from orgs.selectors import reach_of
from pledges.services import (
    ItemInput,
    comment_add,
    pledge_approve,
    pledge_create,
    pledge_publish,
    pledge_submit,
    pledge_update_add,
)
from tests import images

ROLES = ["anonymous", "no_role", "secretary", "sibling_secretary", "committee", "office", "admin"]
LOGIN = 302  # anonymous users are sent to the login page


def expect(
    anonymous=LOGIN,
    no_role=None,
    secretary=None,
    sibling_secretary=None,
    committee=None,
    office=None,
    admin=None,
    *,
    default=200,
):
    values = {
        "anonymous": anonymous,
        "no_role": no_role,
        "secretary": secretary,
        "sibling_secretary": sibling_secretary,
        "committee": committee,
        "office": office,
        "admin": admin,
    }
    return {role: default if status is None else status for role, status in values.items()}


# Objects: the secretary's own branch and one of its members, unless said otherwise.
# (method, kwargs builder, expected status per role)
RULES = {
    "home": ("get", None, expect()),
    "healthz": ("get", None, expect(anonymous=200)),
    "login": ("get", None, expect(anonymous=200, default=302)),
    "logout": ("post", None, expect(default=302)),
    "password_change": ("get", None, expect()),
    "password_change_done": ("get", None, expect()),
    "set_language": ("post", None, expect(default=302)),
    "orgs:tree": ("get", None, expect()),
    "orgs:member_list": ("get", None, expect()),
    "orgs:organization_detail": (
        "get",
        lambda d: {"pk": d.branch.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    "orgs:tree_children": (
        "get",
        lambda d: {"pk": d.community.pk},
        expect(no_role=404, secretary=404, sibling_secretary=404),
    ),
    "orgs:organization_create": (
        "get",
        lambda d: {"parent_pk": d.branch.pk},
        expect(no_role=404, secretary=403, sibling_secretary=404),
    ),
    "orgs:organization_edit": (
        "get",
        lambda d: {"pk": d.branch.pk},
        expect(no_role=404, secretary=403, sibling_secretary=404),
    ),
    "orgs:organization_move": (
        "get",
        lambda d: {"pk": d.branch.pk},
        expect(no_role=404, secretary=403, sibling_secretary=404),
    ),
    "orgs:organization_delete": (
        "get",
        lambda d: {"pk": d.branch.pk},
        expect(no_role=404, secretary=403, sibling_secretary=404),
    ),
    "orgs:member_create": (
        "get",
        lambda d: {"organization_pk": d.branch.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    "orgs:member_detail": (
        "get",
        lambda d: {"pk": d.member.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    "orgs:member_edit": (
        "get",
        lambda d: {"pk": d.member.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    "orgs:member_transfer": (
        "get",
        lambda d: {"pk": d.member.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    "orgs:import_upload": ("get", None, expect(no_role=403, secretary=403, sibling_secretary=403)),
    "orgs:import_template": (
        "get",
        lambda d: {"target": "members", "fmt": "xlsx"},
        expect(no_role=403, secretary=403, sibling_secretary=403),
    ),
    # The committee's own dry-run preview: nobody else may confirm it.
    "orgs:import_confirm": (
        "post",
        lambda d: {"job_pk": d.jobs["preview"].pk},
        expect(no_role=403, secretary=403, sibling_secretary=403, office=404, default=302),
    ),
    "orgs:export": (
        "post",
        lambda d: {"target": "members", "fmt": "csv"},
        expect(no_role=403, default=302),
    ),
    # Pledges: the member's published pledge in the secretary's branch.
    "pledges:pledge_list": ("get", None, expect()),
    "pledges:pledge_create": (
        "get",
        None,
        expect(no_role=404, sibling_secretary=404),
        lambda d: f"?member={d.member.pk}",
    ),
    "pledges:pledge_detail": (
        "get",
        lambda d: {"pk": d.pledge.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    "pledges:pledge_edit": (
        "get",
        lambda d: {"pk": d.pledge.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    **{
        f"pledges:{name}": (
            "post",
            lambda d: {"pk": d.pledge.pk},
            expect(no_role=404, sibling_secretary=404, default=302),
        )
        for name in (
            "pledge_submit",
            "pledge_approve",
            "pledge_return",
            "pledge_publish",
            "pledge_outcome",
            "pledge_update_add",
        )
    },
    "pledges:pledge_export": (
        "post",
        lambda d: {"fmt": "csv"},
        expect(no_role=403, default=302),
    ),
    "pledges:comment_list": ("get", None, expect()),
    "pledges:comment_moderate": (
        "post",
        lambda d: {"pk": d.comment.pk},
        expect(no_role=404, sibling_secretary=404, default=302),
    ),
    "pledges:import_upload": ("get", None, expect(no_role=403)),
    "pledges:import_template": ("get", lambda d: {"fmt": "xlsx"}, expect(no_role=403)),
    # The secretary's own dry-run preview.
    "pledges:import_confirm": (
        "post",
        lambda d: {"job_pk": d.jobs["pledge_preview"].pk},
        expect(no_role=404, sibling_secretary=404, committee=404, office=404, default=302),
    ),
    "pledges:document_start": (
        "post",
        lambda d: {"kind": "poster", "organization_pk": d.branch.pk},
        expect(no_role=404, sibling_secretary=404, default=302),
    ),
    # The public board needs no login.
    "board": ("get", lambda d: {"code": d.branch.code}, expect(anonymous=200)),
    "board_comment": (
        "post",
        lambda d: {"code": d.branch.code, "pledge_pk": d.pledge.pk},
        expect(anonymous=302, default=302),
    ),
    "board_photo": ("get", lambda d: {"pk": d.update.pk}, expect(anonymous=200)),
    # The committee's own export job.
    "core:job_detail": (
        "get",
        lambda d: {"pk": d.jobs["export"].pk},
        expect(no_role=404, secretary=404, sibling_secretary=404, office=404),
    ),
    "core:job_progress": (
        "get",
        lambda d: {"pk": d.jobs["export"].pk},
        expect(no_role=404, secretary=404, sibling_secretary=404, office=404),
    ),
    "core:job_download": (
        "get",
        lambda d: {"pk": d.jobs["export"].pk},
        expect(no_role=404, secretary=404, sibling_secretary=404, office=404),
    ),
    # Plans (实施方案): the branch's plan in the Licheng campaign, submitted, with one
    # attachment. Refused moves (wrong state, not the reviewer) come back as a
    # message and a redirect to the plan page; outside the scope it is a 404.
    "campaign:plan_list": ("get", None, expect()),
    "campaign:plan_detail": (
        "get",
        lambda d: {"campaign_pk": d.campaign.pk, "organization_pk": d.branch.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    "campaign:plan_print": (
        "get",
        lambda d: {"campaign_pk": d.campaign.pk, "organization_pk": d.branch.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    **{
        f"campaign:{name}": (
            "post",
            lambda d: {"campaign_pk": d.campaign.pk, "organization_pk": d.branch.pk},
            expect(no_role=404, sibling_secretary=404, default=302),
        )
        for name in ("plan_edit", "plan_submit", "plan_accept", "plan_return", "attachment_upload")
    },
    "campaign:attachment_download": (
        "get",
        lambda d: {"pk": d.attachment.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
    # The progress dashboard of the secretary's branch.
    "campaign:dashboard": (
        "get",
        lambda d: {"pk": d.branch.pk},
        expect(no_role=404, sibling_secretary=404),
    ),
}

# The Django admin is for the system administrator (a superuser) only.
ADMIN_FOR_SUPERUSER = {
    "admin:logout": 302,
    "admin:login": 302,
    # Pledges are read-only in the admin: every change goes through the workflow.
    "admin:pledges_pledge_add": 403,
    "admin:pledges_pledgerevision_add": 403,
    "admin:pledges_pledgeupdate_add": 403,
    "admin:pledges_pledgecomment_add": 403,
    "admin:pledges_pledge_delete": 403,
    "admin:pledges_pledgerevision_delete": 403,
    "admin:pledges_pledgeupdate_delete": 403,
    "admin:pledges_pledgecomment_delete": 403,
    "admin:view_on_site": 404,  # our models have no public page
    "admin:autocomplete": 403,  # needs app_label/model_name/field_name parameters
    "admin:core_job_add": 403,
    "admin:core_auditentry_add": 403,  # the audit trail is read-only
    "admin:core_auditentry_delete": 403,
    "admin:orgs_membertransfer_add": 403,
}


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = (
                f"{namespace}:{p.namespace}"
                if namespace and p.namespace
                else p.namespace or namespace
            )
            yield from _walk(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}:{p.name}" if namespace else p.name


ALL_NAMES = sorted(set(_walk(get_resolver().url_patterns)))
ADMIN_NAMES = [n for n in ALL_NAMES if n.startswith("admin:")]


def test_every_url_has_a_rule():
    missing = [n for n in ALL_NAMES if not n.startswith("admin:") and n not in RULES]
    stale = [n for n in RULES if n not in ALL_NAMES]
    assert not missing, f"URLs without a permission rule: {missing}"
    assert not stale, f"rules for URLs that no longer exist: {stale}"


@pytest.fixture
def world(district):
    committee = district.users["committee"]
    preview = Job.objects.create(
        kind="import",
        status=Job.Status.SUCCEEDED,
        created_by=committee,
        params={"target": "members", "dry_run": True, "filename": "m.csv"},
        result={"dry_run": True, "created": 0},
    )
    preview.input_file.save("m.csv", ContentFile("党员编号\n".encode()), save=True)
    # As run_export leaves it: the file records the subtrees it was made from.
    export = Job.objects.create(
        kind="export",
        status=Job.Status.SUCCEEDED,
        created_by=committee,
        params={"target": "members", "format": "csv", "filters": {}},
        result={"rows": 1, "reach": reach_of(committee)},
    )
    export.output_file.save("x.csv", ContentFile(b"a,b\n"), save=True)
    district.jobs = {"preview": preview, "export": export}
    district.campaign = _seed_campaign(district)
    secretary = district.users["secretary"]
    plan = plan_for(campaign=district.campaign, organization=district.branch)
    plan_save(plan=plan, user=secretary, theme="主题", carriers="载体", conditions="条件")
    plan = plan_save(plan=plan, user=secretary, commitments="承诺")
    district.attachment = attachment_add(
        plan=plan,
        user=secretary,
        upload=SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    plan_submit(plan=plan, user=secretary)
    _pledge_world(district)
    return district


def _pledge_world(d):
    """A published member pledge with a photo update and a visitor's pending comment."""
    secretary = d.users["secretary"]
    pledge = pledge_create(
        campaign=d.campaign,
        user=secretary,
        organization=d.branch,
        member=d.member,
        audience="public",
        items=[ItemInput(content="每月走访", due_date=dt.date(2011, 6, 30), verification="记录")],
    )
    pledge = pledge_submit(pledge=pledge, user=secretary)
    pledge = pledge_approve(pledge=pledge, user=secretary)
    d.pledge = pledge_publish(pledge=pledge, user=secretary)
    d.update = pledge_update_add(
        pledge=d.pledge,
        user=secretary,
        item_key=1,
        happened_on=dt.date(2011, 3, 1),
        text="走访3户",
        photo=SimpleUploadedFile("p.png", images.png()),
    )
    d.far_pledge = pledge_create(
        campaign=d.campaign,
        user=d.users["admin"],
        organization=d.far_branch,
        audience="public",
        items=[ItemInput(content="办实事", due_date=dt.date(2011, 6, 30), verification="记录")],
    )
    d.comment = comment_add(pledge=d.pledge, text="好", author="", address="10.0.0.1")
    preview = Job.objects.create(
        kind="pledge_import",
        status=Job.Status.SUCCEEDED,
        created_by=secretary,
        params={
            "campaign": d.campaign.pk,
            "organization": d.branch.pk,
            "dry_run": True,
            "filename": "p.csv",
        },
        result={"dry_run": True, "created": 0},
    )
    preview.input_file.save("p.csv", ContentFile("党员编号\n".encode()), save=True)
    d.jobs["pledge_preview"] = preview


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(RULES))
def test_url_role_matrix(name, role, world, login):
    method, kwargs, expected, *query = RULES[name]
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    url += query[0](world) if query else ""
    client = login(world.users[role])
    response = getattr(client, method)(url)
    assert response.status_code == expected[role], f"{method.upper()} {url} as {role}"
    if (
        response.status_code == 302
        and role == "anonymous"
        and expected[role] == LOGIN
        and name not in ("logout", "set_language", "board_comment")
    ):
        assert response["Location"].startswith(reverse("login"))


def _seed_campaign(d):
    """The Licheng campaign on the district: a row in every inline, and its rubrics."""
    campaign = campaign_load(root=d.root, data=seed_data("licheng")).campaign
    ContactPoint.objects.get_or_create(
        campaign=campaign, leader=d.users["committee"], organization=d.street
    )
    return campaign


def _admin_kwargs(name, d):
    campaign = _seed_campaign(d) if name.startswith("admin:campaign_") else None
    pattern_objects = {
        "auth_user": d.users["committee"],
        "auth_group": Group.objects.get_or_create(name="测试组")[0],
        "core_job": d.jobs["export"],
        "core_auditentry": AuditEntry.objects.create(
            at=timezone.now(),
            source="system",
            action="create",
            model="orgs.organization",
            object_id=str(d.branch.pk),
            object_repr=d.branch.name,
        ),
        "campaign_campaign": campaign,
        "campaign_rubric": campaign.rubrics.first() if campaign else None,
        "orgs_sector": d.branch.sector,
        "orgs_organization": d.branch,
        "orgs_member": d.member,
        "orgs_rolegrant": d.users["secretary"].role_grants.first(),
        "pledges_pledge": getattr(d, "pledge", None),
        "pledges_pledgerevision": d.pledge.revisions.first() if hasattr(d, "pledge") else None,
        "pledges_pledgeupdate": getattr(d, "update", None),
        "pledges_pledgecomment": getattr(d, "comment", None),
        "orgs_membertransfer": MemberTransfer.objects.get_or_create(
            member=d.member, from_organization=d.sibling, to_organization=d.branch
        )[0],
    }
    short = name.split(":", 1)[1]
    if short == "app_list":
        return {"app_label": "orgs"}
    if short == "view_on_site":
        from django.contrib.contenttypes.models import ContentType

        return {
            "content_type_id": ContentType.objects.get_for_model(d.branch).pk,
            "object_id": d.branch.pk,
        }
    if short == "auth_user_password_change":
        return {"id": d.users["committee"].pk}
    for prefix, obj in pattern_objects.items():
        if short.startswith(prefix + "_") and short.rsplit("_", 1)[1] in (
            "change",
            "delete",
            "history",
        ):
            return {"object_id": obj.pk}
    return None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ADMIN_NAMES)
def test_admin_is_for_the_system_administrator_only(name, role, world, login):
    url = reverse(name, kwargs=_admin_kwargs(name, world))
    client = login(world.users[role])
    method = "post" if name == "admin:logout" else "get"
    response = getattr(client, method)(url)
    if role == "admin":
        assert response.status_code == ADMIN_FOR_SUPERUSER.get(name, 200), url
    elif name == "admin:login":
        assert response.status_code == 200
    elif name == "admin:logout":
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("orgs:organization_detail", lambda d: {"pk": d.far_branch.pk}),
        ("orgs:member_detail", lambda d: {"pk": d.far_member.pk}),
        ("orgs:organization_edit", lambda d: {"pk": d.far_branch.pk}),
        ("orgs:member_edit", lambda d: {"pk": d.far_member.pk}),
        ("pledges:pledge_detail", lambda d: {"pk": d.far_pledge.pk}),
    ],
)
def test_other_subtree_is_indistinguishable_from_missing(name, kwargs, world, login):
    district = world
    client = login(district.users["committee"])
    outside_url = reverse(name, kwargs=kwargs(district))
    missing_url = reverse(name, kwargs={k: 987654 for k in kwargs(district)})
    outside, missing = client.get(outside_url), client.get(missing_url)
    assert outside.status_code == missing.status_code == 404
    # The pages differ only where they echo their own address and in the masked CSRF token.
    assert _normalised(outside.content, outside_url) == _normalised(missing.content, missing_url)


def _normalised(content: bytes, url: str) -> bytes:
    return re.sub(rb"[A-Za-z0-9]{64}", b"TOKEN", content.replace(url.encode(), b"URL"))


def test_revoked_grant_takes_effect_on_next_request(district, login):
    client = login(district.users["secretary"])
    url = reverse("orgs:organization_detail", kwargs={"pk": district.branch.pk})
    assert client.get(url).status_code == 200
    district.users["secretary"].role_grants.all().delete()
    assert client.get(url).status_code == 404


def test_posts_need_a_csrf_token(district):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(district.users["committee"])
    response = client.post(
        reverse("orgs:organization_edit", kwargs={"pk": district.branch.pk}), {"name": "x"}
    )
    assert response.status_code == 403
