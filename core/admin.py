from typing import TYPE_CHECKING, Any

from django.contrib import admin

from core import audit
from core.models import AuditEntry, DocumentNumber, Job

if TYPE_CHECKING:  # the mixin's super() is the ModelAdmin it is mixed into
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class AuditedAdminMixin(_AdminBase):
    """Admin saves and deletes go to the audit trail like every other write path."""

    def audit_organization(self, obj):
        """The organisation an entry concerns (shown on that organisation's page)."""
        return getattr(obj, "organization_id", None)

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        action = audit.Action.UPDATE if change else audit.Action.CREATE
        audit.record(obj, action, before, organization_id=self.audit_organization(obj))

    def delete_model(self, request, obj):
        before, pk = audit.snapshot(obj), obj.pk
        organization_id = self.audit_organization(obj)
        super().delete_model(request, obj)
        obj.pk = pk
        audit.record(obj, audit.Action.DELETE, before, organization_id=organization_id)

    def save_formset(self, request, form, formset, change):
        """Inline rows (phases, criteria …) are recorded one by one, like the parent."""
        model = formset.model
        pks = [f.instance.pk for f in formset.forms if f.instance.pk]
        before = {obj.pk: audit.snapshot(obj) for obj in model._default_manager.filter(pk__in=pks)}
        doomed = [(f.instance, f.instance.pk) for f in formset.deleted_forms if f.instance.pk]
        super().save_formset(request, form, formset, change)
        organization_id = self.audit_organization(form.instance)
        for obj in formset.new_objects:
            audit.record(obj, audit.Action.CREATE, organization_id=organization_id)
        for obj, _ in formset.changed_objects:
            audit.record(
                obj, audit.Action.UPDATE, before.get(obj.pk), organization_id=organization_id
            )
        for obj, pk in doomed:
            obj.pk = pk
            audit.record(obj, audit.Action.DELETE, before.get(pk), organization_id=organization_id)

    def delete_queryset(self, request, queryset):
        for obj in queryset:  # one by one, so each deletion is recorded
            self.delete_model(request, obj)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "progress",
        "created_by",
        "created_at",
        "finished_at",
        "worker",
    ]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the trail through the UI."""

    list_display = ["at", "actor_name", "source", "action", "model", "object_repr"]
    list_filter = ["source", "action", "model"]
    search_fields = ["object_repr", "actor_name", "object_id"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DocumentNumber)
class DocumentNumberAdmin(admin.ModelAdmin):
    """发文登记, read-only: numbers are given by the document jobs alone, so the
    register cannot gain a gap or a duplicate by hand."""

    list_display = ["text", "title", "organ_name", "issued_on", "job"]
    list_filter = ["year", "organ_name"]
    search_fields = ["text", "title", "organ_name"]
    readonly_fields = [f.name for f in DocumentNumber._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
