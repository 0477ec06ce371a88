from collections import Counter
from typing import cast

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from mptt.admin import DraggableMPTTAdmin

from core import audit
from core.admin import AuditedAdminMixin
from orgs import tallies
from orgs.models import Member, MemberTransfer, Organization, RoleGrant, Sector
from orgs.resources import MemberResource, OrganizationResource
from orgs.selectors import forget_grants
from orgs.services import DomainError, lock_tree, organization_delete


@admin.register(Sector)
class SectorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdminMixin, ExportMixin, DraggableMPTTAdmin):
    """The draggable tree for admins. Bulk loads go through the import page
    (/orgs/import/), which validates every row before writing."""

    resource_classes = [OrganizationResource]
    list_display = ["tree_actions", "indented_title", "code", "kind", "sector", "is_active"]
    list_display_links = ["indented_title"]
    list_filter = ["kind", "sector", "is_active"]
    search_fields = ["name", "code", "short_name"]
    autocomplete_fields = ["parent"]
    mptt_level_indent = 16
    readonly_fields = ["organ_in_use", "pattern_in_use"]

    @admin.display(description=_("生效的发文机关"))
    def organ_in_use(self, obj):
        """What a blank 发文机关 means for this organisation (the default in use)."""
        return obj.document_organ if obj.pk else "—"

    @admin.display(description=_("生效的文号格式"))
    def pattern_in_use(self, obj):
        return obj.document_pattern if obj.pk else "—"

    # Admin writes to the tree take the same lock as the services (mptt renumbers
    # whole trees and leaves concurrency to the caller); objects are read after it.
    def audit_organization(self, obj):
        return obj.pk

    def _move_node(self, request):
        with transaction.atomic():
            lock_tree()
            try:
                moved = Organization.objects.filter(pk=request.POST.get("cut_item")).first()
            except (TypeError, ValueError):
                moved = None  # mptt's own handler answers the bad request
            before = audit.snapshot(moved) if moved else None
            if moved is not None:
                tallies.detach(moved)
            response = super()._move_node(request)
            if moved is not None:
                moved.refresh_from_db()
                tallies.attach(moved)
                audit.record(moved, audit.Action.UPDATE, before, organization_id=moved.pk)
            return response

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            lock_tree()
            current = Organization.objects.filter(pk=obj.pk).first() if obj.pk else None
            if (
                current is not None
            ):  # the form was built before the lock: take the numbering as it is now
                for field in ("tree_id", "lft", "rght", "level"):
                    setattr(obj, field, getattr(current, field))
                tallies.detach(current)  # the parent may change: figures follow the node
            if obj.parent_id:
                obj.parent = Organization.objects.get(pk=obj.parent_id)
            super().save_model(request, obj, form, change)
            if current is not None:
                tallies.attach(obj)
                tallies.reclassify(obj, tallies.class_of(current))
            was_active = current.is_active if current is not None else False
            tallies.adjust({(obj.pk, tallies.UNITS): int(obj.is_active) - int(was_active)})

    # Deleting goes through organization_delete: the tree lock, the rules (no
    # children, no members) and the audit entry, one at a time or in bulk.
    def delete_model(self, request, obj):
        organization_delete(organization=obj)

    def delete_queryset(self, request, queryset):
        # Children before their parents, all or nothing.
        with transaction.atomic():
            for node in sorted(queryset, key=lambda o: -o.level):
                try:
                    organization_delete(organization=node)
                except DomainError as exc:
                    raise DomainError(f"{node.name}（{node.code}）{exc}") from None

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, f"未删除：{exc}", messages.ERROR)
            return redirect("admin:orgs_organization_change", object_id)

    def delete_selected_tree(self, modeladmin, request, queryset):
        """The changelist's bulk delete (mptt's own deletes row by row with no lock,
        no rules and no audit entry)."""
        if not request.POST.get("post"):
            return delete_selected(self, request, queryset)  # the confirmation page
        nodes = list(queryset)
        try:
            with transaction.atomic():
                self.delete_queryset(request, queryset)
                # The rows are gone: log the instances read before, which it only iterates.
                self.log_deletions(request, cast(QuerySet[Organization], nodes))
        except DomainError as exc:
            self.message_user(request, f"未删除任何党组织：{exc}", messages.ERROR)
            return None
        self.message_user(request, f"已删除 {len(nodes)} 个党组织")
        return None


@admin.register(Member)
class MemberAdmin(AuditedAdminMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [MemberResource]
    list_display = [
        "number",
        "name",
        "gender",
        "category",
        "organization",
        "is_leading_cadre",
        "is_party_worker",
    ]
    list_filter = [
        "category",
        "gender",
        "is_leading_cadre",
        "is_party_worker",
        "organization__sector",
    ]
    search_fields = ["number", "name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization", "user"]
    readonly_fields = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        # A member changes organisation through a transfer, which keeps the history.
        return ["organization"] if obj else []

    # The stored member counts follow the admin's adds and deletes (its edits
    # cannot change the organisation).
    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if not change:
                tallies.adjust({(obj.organization_id, tallies.MEMBERS): 1})

    def delete_model(self, request, obj):
        with transaction.atomic():
            organization_id = obj.organization_id
            super().delete_model(request, obj)
            tallies.adjust({(organization_id, tallies.MEMBERS): -1})

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            gone = Counter(queryset.values_list("organization_id", flat=True))
            super().delete_queryset(request, queryset)
            tallies.adjust({(pk, tallies.MEMBERS): -n for pk, n in gone.items()})


@admin.register(MemberTransfer)
class MemberTransferAdmin(admin.ModelAdmin):
    list_display = [
        "member",
        "from_organization",
        "to_organization",
        "transferred_on",
        "recorded_by",
    ]
    list_select_related = ["member", "from_organization", "to_organization", "recorded_by"]
    search_fields = ["member__name", "member__number"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(RoleGrant)
class RoleGrantAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "organization", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__name", "organization__code"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]

    # A grant changed in this request is read afresh by the rest of it.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_grants()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget_grants()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        forget_grants()
