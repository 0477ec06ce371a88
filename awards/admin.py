"""Award configuration for the system administrator: a round with its
categories (inline). The rules run in ``clean()`` (``awards.rules``), so a bad
set-up comes back with the field named and nothing saved. Quotas are handed down
from the quota pages (audited), so the admin only lists them."""

from django import forms
from django.contrib import admin

from awards import rules
from awards.models import AwardCategory, AwardRound, EligibilityRule, Quota
from campaign.admin import NamedRowsFormSet
from core.admin import AuditedAdminMixin


class AwardCategoryInline(admin.TabularInline):
    model = AwardCategory
    formset = NamedRowsFormSet
    extra = 0
    fields = ["position", "name", "subject", "total_quota", "basis", "minimum_per_child"]


class EligibilityRuleForm(forms.ModelForm):
    """The rule's fields checked against its kind with the chosen review rounds
    (the many-to-many is saved after the row, so ``clean()`` cannot see them)."""

    class Meta:
        model = EligibilityRule
        fields = [
            "position",
            "kind",
            "review_rounds",
            "min_score",
            "grades",
            "min_percent",
            "rounds_back",
        ]

    def clean(self):
        data = super().clean() or {}
        rule = self.instance
        for name in ("kind", "min_score", "grades", "min_percent", "rounds_back"):
            if name in data:
                setattr(rule, name, data[name])
        if data.get("kind"):
            for field, problems in rules.eligibility_problems(
                rule, data.get("review_rounds") or []
            ).items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, problem)
        return data


class EligibilityRuleInline(admin.StackedInline):
    model = EligibilityRule
    formset = NamedRowsFormSet
    form = EligibilityRuleForm
    extra = 0
    filter_horizontal = ["review_rounds"]


@admin.register(AwardCategory)
class AwardCategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A category with its 评选条件 (inline): refused rows name the field."""

    def audit_organization(self, obj):
        return obj.round.campaign.organization_id

    list_display = ["name", "round", "subject", "total_quota"]
    list_filter = ["round"]
    list_select_related = ["round"]
    fields = ["round", "position", "name", "subject", "total_quota", "basis", "minimum_per_child"]
    inlines = [EligibilityRuleInline]


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
