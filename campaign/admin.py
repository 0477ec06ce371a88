"""The campaign configuration pages for the system administrator.

A campaign is set up on one page (its phases, milestones, sector guidance and
contact points are inlines); each rubric is its own page with its criteria.
The rules that span rows run in the inline formsets' ``clean()`` through the
same functions as the seed loader (``campaign.rules``), so a bad submission
comes back with the reason on the page and nothing saved.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.models import (
    Campaign,
    ContactPoint,
    Criterion,
    Milestone,
    Phase,
    PlanSection,
    Rubric,
    SectorGuidance,
)
from campaign.rules import phases_problems, validate_rubric
from core.admin import AuditedAdminMixin
from orgs.models import Organization


class NamedRowsFormSet(forms.BaseInlineFormSet):
    """Repeated rows are named by their columns' labels (栏目, 联系领导), not by
    the attribute names Django's formset message would print (field, leader)."""

    def get_unique_error_message(self, unique_check):
        opts = self.form._meta.model._meta
        labels = [  # the parent (the campaign, the round) is the same on every row
            f"“{opts.get_field(name).verbose_name}”"
            for name in unique_check
            if name != self.fk.name
        ]
        if not labels:
            return super().get_unique_error_message(unique_check)
        if len(labels) == 1:
            return _("%(field)s有重复，每行应各不相同，请修改") % {"field": labels[0]}
        fields = "、".join(labels[:-1]) + _("和") + labels[-1]
        return _("%(fields)s的组合有重复，每行应各不相同，请修改") % {"fields": fields}


class RowsFormSet(NamedRowsFormSet):
    """An inline formset that hands its kept rows, as model instances, to ``problems``."""

    def kept_instances(self) -> list:
        """The rows that will be saved. Rows with their own errors are left out: their
        values are half-read, and their messages are already on the row."""
        rows = []
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue  # an untouched extra row
            if form.errors:
                continue
            if self.can_delete and form.cleaned_data.get("DELETE"):
                continue
            rows.append(form.instance)
        return rows

    def problems(self, rows: list) -> list[str]:
        raise NotImplementedError

    def clean(self) -> None:
        super().clean()  # repeated positions and codes, through the unique constraints
        problems = self.problems(self.kept_instances())
        if problems:
            raise forms.ValidationError(problems)


class PhaseFormSet(RowsFormSet):
    def problems(self, rows):
        return phases_problems(rows)


class CriterionFormSet(RowsFormSet):
    def problems(self, rows):
        if any(self.errors):
            return []  # a sum over some of the rows would only mislead
        return validate_rubric(self.instance, rows)


SHORT_TEXT: dict[type[models.Field], dict[str, Any]] = {
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}
}


class PhaseInline(admin.TabularInline):
    model = Phase
    formset = PhaseFormSet
    extra = 0
    fields = ["position", "name", "start_date", "end_date", "focus"]
    formfield_overrides = SHORT_TEXT


class MilestoneInline(admin.TabularInline):
    formset = NamedRowsFormSet
    model = Milestone
    extra = 0
    fields = ["date", "name", "kind", "description"]
    formfield_overrides = SHORT_TEXT


class SectorGuidanceInline(admin.StackedInline):
    formset = NamedRowsFormSet
    model = SectorGuidance
    extra = 0
    fields = ["sector", "title", "requirements"]


class PlanSectionInline(admin.TabularInline):
    formset = NamedRowsFormSet
    model = PlanSection
    extra = 0
    fields = ["position", "field", "label", "help_text", "required"]


class CampaignForm(forms.ModelForm):
    """参加范围 as check boxes: the kinds are stored as a list of Organization.Kind values."""

    participating_kinds = forms.MultipleChoiceField(
        label=_("参加的组织类型"),
        choices=Organization.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("只有这些类型的党组织参加本次活动；不选为全部类型"),
    )

    class Meta:
        model = Campaign
        fields = ["participating_sectors", "participating_kinds"]  # the rest: the fieldsets
        widgets = {"participating_sectors": forms.CheckboxSelectMultiple}


class ContactPointInline(admin.TabularInline):
    formset = NamedRowsFormSet
    model = ContactPoint
    extra = 0
    fields = ["leader", "organization", "note"]
    autocomplete_fields = ["leader", "organization"]


class RubricInline(admin.TabularInline):
    """Read-only list of the campaign's rubrics, linking to their pages (criteria are there)."""

    model = Rubric
    extra = 0
    fields = ["name", "subject", "total_weight"]
    readonly_fields = ["name", "subject", "total_weight"]
    show_change_link = True
    can_delete = False
    verbose_name_plural = _("评价标准（在“评价标准”页面添加和修改）")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "organization",
        "document_number",
        "start_date",
        "end_date",
        "status",
        "current_phase_name",
    ]
    list_filter = ["status"]
    search_fields = ["name", "document_number", "theme"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    date_hierarchy = "start_date"
    fieldsets = [
        (None, {"fields": ["organization", "name", "status"]}),
        (_("发文"), {"fields": ["document_number", "issuing_organ", "theme"]}),
        (_("起止日期"), {"fields": ["start_date", "end_date"]}),
        (None, {"fields": ["description"]}),
        (_("参加范围"), {"fields": ["participating_sectors", "participating_kinds"]}),
        (_("公开承诺"), {"fields": ["separate_approver"]}),
    ]
    form = CampaignForm
    inlines = [
        PhaseInline,
        MilestoneInline,
        PlanSectionInline,
        SectorGuidanceInline,
        ContactPointInline,
        RubricInline,
    ]

    @admin.display(description=_("当前阶段"))
    def current_phase_name(self, obj: Campaign) -> str:
        phase = obj.current_phase()
        return phase.name if phase else "—"


class CriterionInline(admin.TabularInline):
    model = Criterion
    formset = CriterionFormSet
    extra = 0
    fields = ["position", "code", "title", "description", "weight", "max_score"]
    formfield_overrides = SHORT_TEXT


@admin.register(Rubric)
class RubricAdmin(AuditedAdminMixin, admin.ModelAdmin):
    def audit_organization(self, obj):
        return obj.campaign.organization_id

    list_display = ["name", "campaign", "subject", "total_weight"]
    list_filter = ["subject", "campaign"]
    search_fields = ["name", "campaign__name"]
    list_select_related = ["campaign"]
    fields = ["campaign", "name", "subject", "total_weight", "position", "description"]
    inlines = [CriterionInline]
