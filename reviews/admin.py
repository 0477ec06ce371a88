"""Review configuration for the system administrator: each review kind is a page
with its evaluators (weights) and grades; the rules that span rows run in the
inline formsets through ``reviews.rules``, so a bad set-up comes back with the
reason and nothing saved. Rounds are run from the review pages (their moves are
audited workflow moves), so the admin only lists them."""

from django.contrib import admin

from campaign.admin import RowsFormSet
from core.admin import AuditedAdminMixin
from reviews.models import GradeBand, KindEvaluator, ReviewKind, ReviewRound
from reviews.rules import band_problems, evaluator_problems


class EvaluatorFormSet(RowsFormSet):
    def problems(self, rows):
        if any(self.errors):
            return []
        return evaluator_problems(self.instance, rows)


class BandFormSet(RowsFormSet):
    def problems(self, rows):
        if any(self.errors):
            return []
        return band_problems(self.instance, rows)


class KindEvaluatorInline(admin.TabularInline):
    model = KindEvaluator
    formset = EvaluatorFormSet
    extra = 0
    fields = ["evaluator", "weight"]


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    formset = BandFormSet
    extra = 0
    fields = ["position", "label", "min_score", "vote_score"]


@admin.register(ReviewKind)
class ReviewKindAdmin(AuditedAdminMixin, admin.ModelAdmin):
    def audit_organization(self, obj):
        return obj.campaign.organization_id

    list_display = ["name", "campaign", "subject", "rubric", "ballot", "publication"]
    list_filter = ["campaign", "subject"]
    list_select_related = ["campaign", "rubric"]
    search_fields = ["name", "campaign__name"]
    fields = [
        "campaign",
        "name",
        "subject",
        "rubric",
        "ballot",
        "min_evaluators",
        "publication",
        "round_days",
        "milestones",
        "position",
        "description",
    ]
    filter_horizontal = ["milestones"]
    inlines = [KindEvaluatorInline, GradeBandInline]


@admin.register(ReviewRound)
class ReviewRoundAdmin(admin.ModelAdmin):
    list_display = ["period", "kind", "organization", "opens_on", "closes_on", "state"]
    list_filter = ["state", "kind__campaign"]
    list_select_related = ["kind", "organization"]
    search_fields = ["period", "kind__name", "organization__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
