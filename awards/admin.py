"""Award configuration for the system administrator: a round with its
categories (inline). The rules run in ``clean()`` (``awards.rules``), so a bad
set-up comes back with the field named and nothing saved. Quotas are handed down
from the quota pages (audited), so the admin only lists them."""

from django.contrib import admin

from awards.models import AwardCategory, AwardRound, Quota
from core.admin import AuditedAdminMixin


class AwardCategoryInline(admin.TabularInline):
    model = AwardCategory
    extra = 0
    fields = ["position", "name", "subject", "total_quota", "basis", "minimum_per_child"]


@admin.register(AwardRound)
class AwardRoundAdmin(AuditedAdminMixin, admin.ModelAdmin):
    def audit_organization(self, obj):
        return obj.campaign.organization_id

    list_display = ["name", "campaign", "nomination_deadline", "review_deadline", "state"]
    list_filter = ["campaign", "state"]
    list_select_related = ["campaign"]
    search_fields = ["name", "campaign__name"]
    fields = [
        "campaign",
        "milestone",
        "name",
        "nomination_deadline",
        "endorsement_deadline",
        "review_deadline",
        "publicity_days",
    ]
    inlines = [AwardCategoryInline]


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ["organization", "category", "amount", "source", "allocated", "kept"]
    list_filter = ["source", "category__round"]
    list_select_related = ["organization", "category__round"]
    search_fields = ["organization__name", "category__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
