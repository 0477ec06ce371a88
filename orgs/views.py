"""Pages for the organisation tree and the membership roll.

Each view: look up through the scoping selector (404 outside scope) → check the
permission (403 where the user may see but not change) → validate a form →
call one service → render or redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import audit
from core.jobs import PreviewNotConfirmable, job_confirm_preview, job_start
from core.models import Job
from core.views import spreadsheet_download
from orgs import selectors, services
from orgs.forms import (
    ImportForm,
    MemberFilterForm,
    MemberForm,
    MoveForm,
    OrganizationForm,
    TransferForm,
)
from orgs.models import Member, Organization
from orgs.resources import MemberResource, OrganizationResource, columns

SEARCH_LIMIT = 50


def _require(request: HttpRequest, roles, organization: Organization) -> None:
    if not selectors.can(request.user, roles, organization):
        raise PermissionDenied("您没有修改此党组织的权限")


def _require_anywhere(request: HttpRequest, roles) -> None:
    if not selectors.can_anywhere(request.user, roles):
        raise PermissionDenied("您没有此项操作的权限")


@login_required
@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    """The tree, lazily expanded; or search results by name or code."""
    query = request.GET.get("q", "").strip()[:64]
    context: dict = {"query": query}
    if query:
        found = (
            selectors.organizations_for(request.user)
            .filter(
                Q(name__icontains=query) | Q(code__icontains=query) | Q(short_name__icontains=query)
            )
            .order_by("tree_id", "lft")
        )
        context["results"] = selectors.with_subtree_member_counts(found)[:SEARCH_LIMIT]
    else:
        tops = selectors.with_subtree_member_counts(
            selectors.top_organizations_for(request.user).select_related("sector")
        ).order_by("tree_id", "lft")
        context["nodes"] = tops
    return render(request, "orgs/tree.html", context)


@login_required
@require_GET
def tree_children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one node with their subtree counts (loaded by htmx on expand)."""
    organization = selectors.organization_get(request.user, pk)
    children = selectors.with_subtree_member_counts(
        selectors.children(organization).select_related("sector")
    ).order_by("lft")
    return render(request, "orgs/_tree_nodes.html", {"nodes": children})


@login_required
@require_GET
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_get(request.user, pk, counted=True)
    visible_ancestors = selectors.visible_ancestors(request.user, organization)
    can_edit_members = selectors.can(request.user, selectors.EDIT_MEMBERS, organization)
    children = selectors.with_subtree_member_counts(
        selectors.children(organization).select_related("sector")
    ).order_by("lft")
    context = {
        "organization": organization,
        "subtree_members": organization.subtree_members,
        "direct_members": organization.own_members,
        "ancestors": visible_ancestors,
        "children": children,
        "can_edit": selectors.can(request.user, selectors.EDIT_ORGANIZATIONS, organization),
        "can_edit_members": can_edit_members,
        "can_restructure": _can_restructure(request, organization),
        # The change record names people and their old values: for editing roles only.
        "history": audit.history(organization.pk, request.GET.get("history"))
        if can_edit_members
        else None,
    }
    return render(request, "orgs/organization_detail.html", context)


def _can_restructure(request: HttpRequest, organization: Organization) -> bool:
    """Moving or deleting needs the right on the parent: a grant's own root stays put."""
    parent = organization.parent
    return parent is not None and selectors.can(request.user, selectors.EDIT_ORGANIZATIONS, parent)


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest, parent_pk: int) -> HttpResponse:
    parent = selectors.organization_get(request.user, parent_pk)
    _require(request, selectors.EDIT_ORGANIZATIONS, parent)
    form = OrganizationForm(request.POST or None, initial={"sector": parent.sector_id})
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items()}
        try:
            organization = services.organization_create(parent=parent, **values)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已创建党组织：{organization.name}")
            return redirect("orgs:organization_detail", pk=organization.pk)
    return render(
        request, "orgs/organization_form.html", {"form": form, "parent": parent, "creating": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_get(request.user, pk)
    _require(request, selectors.EDIT_ORGANIZATIONS, organization)
    form = OrganizationForm(request.POST or None, instance=Organization.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("orgs:organization_detail", pk=organization.pk)
    return render(
        request, "orgs/organization_form.html", {"form": form, "organization": organization}
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_move(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_get(request.user, pk)
    if not _can_restructure(request, organization):
        raise PermissionDenied("您没有调整此党组织隶属关系的权限")
    choices = selectors.organization_choices_for(
        request.user, selectors.EDIT_ORGANIZATIONS
    ).exclude(selectors.subtree_q(organization))
    form = MoveForm(
        request.POST or None, choices=choices, initial={"new_parent": organization.parent_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_move(
                organization=organization, new_parent=form.cleaned_data["new_parent"]
            )
        except services.DomainError as exc:
            form.add_error("new_parent", str(exc))
        else:
            messages.success(
                request,
                f"已将 {organization.name} 调整到 {form.cleaned_data['new_parent'].name} 之下",
            )
            return redirect("orgs:organization_detail", pk=organization.pk)
    return render(
        request, "orgs/organization_move.html", {"form": form, "organization": organization}
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_delete(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_get(request.user, pk)
    if not _can_restructure(request, organization):
        raise PermissionDenied("您没有删除此党组织的权限")
    if request.method == "POST":
        parent_pk = organization.parent_id
        try:
            services.organization_delete(organization=organization)
        except services.DomainError as exc:
            messages.error(request, str(exc))
            return redirect("orgs:organization_detail", pk=organization.pk)
        messages.success(request, f"已删除党组织：{organization.name}")
        return redirect("orgs:organization_detail", pk=parent_pk)
    return render(request, "orgs/organization_delete.html", {"organization": organization})


@login_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberFilterForm(request.GET)
    members = selectors.filtered_members(request.user, request.GET)
    page = selectors.member_page(
        members, after=request.GET.get("after"), before=request.GET.get("before")
    )
    scope_root = None
    if form.is_valid() and form.cleaned_data["organization"]:
        scope_root = (
            selectors.organizations_for(request.user)
            .filter(pk=form.cleaned_data["organization"])
            .first()
        )
    query = request.GET.copy()
    for cursor in ("page", "after", "before"):
        query.pop(cursor, None)
    context = {
        "form": form,
        "page": page,
        "total": selectors.filtered_member_count(request.user, request.GET),
        "scope_root": scope_root,
        "query": query.urlencode(),
        "can_export": selectors.can_anywhere(request.user, selectors.EXPORT),
    }
    return render(request, "orgs/member_list.html", context)


@login_required
@require_GET
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(request.user, pk)
    transfers = member.transfers.select_related(
        "from_organization", "to_organization", "recorded_by"
    )
    can_edit = selectors.can(request.user, selectors.EDIT_MEMBERS, member.organization)
    context = {
        "member": member,
        "transfers": transfers,
        "can_edit": can_edit,
        # Mobile and birth date are for those who keep the roll and for the
        # member; a leader reading the branch does not see them.
        "show_personal": selectors.sees_personal_data(request.user, member),
    }
    return render(request, "orgs/member_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest, organization_pk: int) -> HttpResponse:
    organization = selectors.organization_get(request.user, organization_pk)
    _require(request, selectors.EDIT_MEMBERS, organization)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已添加党员：{member.name}")
            return redirect("orgs:member_detail", pk=member.pk)
    return render(
        request,
        "orgs/member_form.html",
        {"form": form, "organization": organization, "creating": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(request.user, pk)
    _require(request, selectors.EDIT_MEMBERS, member.organization)
    form = MemberForm(request.POST or None, instance=Member.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(member=member, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("orgs:member_detail", pk=member.pk)
    return render(
        request,
        "orgs/member_form.html",
        {"form": form, "member": member, "organization": member.organization},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(request.user, pk)
    _require(request, selectors.EDIT_MEMBERS, member.organization)
    choices = selectors.organization_choices_for(request.user, selectors.EDIT_MEMBERS).exclude(
        pk=member.organization_id
    )
    form = TransferForm(
        request.POST or None, choices=choices, initial={"transferred_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_transfer(
                member=member,
                to=data["to"],
                by=request.user,
                on=data["transferred_on"],
                note=data["note"],
            )
        except services.DomainError as exc:
            form.add_error("to", str(exc))
        else:
            messages.success(request, f"已将 {member.name} 转入 {data['to'].name}")
            return redirect("orgs:member_detail", pk=member.pk)
    return render(request, "orgs/member_transfer.html", {"form": form, "member": member})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file; a dry-run job checks it and shows the preview."""
    _require_anywhere(request, selectors.IMPORT)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = job_start(
            kind="import",
            user=request.user,
            params={
                "target": form.cleaned_data["target"],
                "dry_run": True,
                "filename": upload.name,
            },
            input_file=upload,
        )
        return redirect("core:job_detail", pk=job.pk)
    return render(request, "orgs/import_upload.html", {"form": form})


@login_required
@require_POST
def import_confirm(request: HttpRequest, job_pk: int) -> HttpResponse:
    """Commit a file whose dry run passed: a second job over the same upload."""
    _require_anywhere(request, selectors.IMPORT)
    try:
        job = job_confirm_preview(user=request.user, preview_pk=job_pk, kind="import")
    except Job.DoesNotExist:
        raise Http404 from None
    except PreviewNotConfirmable:
        messages.error(request, "只能确认校验通过的预览")
        return redirect("core:job_detail", pk=job_pk)
    return redirect("core:job_detail", pk=job.pk)


TEMPLATES = {
    "organizations": (OrganizationResource, "党组织导入模板"),
    "members": (MemberResource, "党员导入模板"),
}


@login_required
@require_GET
def import_template(request: HttpRequest, target: str, fmt: str) -> HttpResponse:
    """An empty spreadsheet with the expected headers."""
    _require_anywhere(request, selectors.IMPORT)
    resource_class, title = TEMPLATES[target]
    headers = [header for header, _ in columns(resource_class)]
    return spreadsheet_download(fmt, headers, [], title=title)


@login_required
@require_POST
def export(request: HttpRequest, target: str, fmt: str) -> HttpResponse:
    """Export what the user can see (with the member list's filters) through a job."""
    _require_anywhere(request, selectors.EXPORT)
    filters = {k: v for k, v in request.POST.items() if k in MemberFilterForm.base_fields}
    job = job_start(
        kind="export",
        user=request.user,
        params={"target": target, "format": fmt, "filters": filters},
    )
    return redirect(reverse("core:job_detail", kwargs={"pk": job.pk}))
