"""Pledges in the admin are for looking up, not for editing: every state change
goes through ``pledges.services`` so the workflow and the audit trail hold."""

from django.contrib import admin

from pledges.models import Pledge, PledgeComment, PledgeItem, PledgeRevision, PledgeUpdate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ItemInline(admin.TabularInline):
    model = PledgeItem
    extra = 0
    fields = ["key", "content", "due_date", "verification", "criterion"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "campaign",
        "organization",
        "state",
        "revision",
        "published_revision",
        "outcome",
    ]
    list_filter = ["campaign", "state", "audience", "outcome"]
    search_fields = ["organization__name", "organization__code", "member__name", "member__number"]
    list_select_related = ["campaign", "organization", "member"]


@admin.register(PledgeRevision)
class PledgeRevisionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "pledge", "published_at"]
    list_select_related = ["pledge__organization", "pledge__member"]
    inlines = [ItemInline]


@admin.register(PledgeUpdate)
class PledgeUpdateAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "pledge", "item_key", "happened_on"]
    list_select_related = ["pledge__organization", "pledge__member"]


@admin.register(PledgeComment)
class PledgeCommentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "pledge", "state", "created_at"]
    list_filter = ["state"]
    list_select_related = ["pledge__organization", "pledge__member"]
