"""Forms for the plan pages: they validate input and nothing else; writes happen in
``campaign.plans``."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Phase, Plan
from campaign.plans import PLAN_FIELDS, sections
from orgs.models import Sector


class PlanForm(forms.ModelForm):
    """The campaign's plan sections (``campaign.plans.sections``), in its own
    labels and order. All optional here: a draft may be saved half filled;
    ``plan_submit`` refuses to file one without the required sections."""

    class Meta:
        model = Plan
        fields = list(PLAN_FIELDS)
        widgets = {
            name: forms.Textarea(attrs={"rows": 4}) for name in PLAN_FIELDS if name != "theme"
        }

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        kept = {}
        for section in sections(campaign):
            field = self.fields[section.field]
            field.label = str(section.label)
            field.help_text = str(section.help_text)
            # Marked like a required field; the form itself lets a draft be saved half filled.
            field.marked_required = section.required  # type: ignore[attr-defined]
            kept[section.field] = field
        self.fields = kept  # the campaign's sections only, in its order


class AttachmentForm(forms.Form):
    """The type and size are checked by ``attachment_add`` (by content, not by name)."""

    file = forms.FileField(
        label=_("附件（PDF、DOCX、PNG、JPG）"),
        error_messages={"required": _("请选择要上传的文件"), "empty": _("文件为空")},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.docx,.png,.jpg,.jpeg"},
        ),
    )


class PhaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Phase) -> str:
        # A phase's name alone (第一时段) is ambiguous when several campaigns are visible.
        return _("%(phase)s（%(start)s至%(end)s）") % {
            "phase": obj.name,
            "start": f"{obj.start_date:%Y-%m-%d}",
            "end": f"{obj.end_date:%Y-%m-%d}",
        }


class PlanFilterForm(forms.Form):
    """The plan list's filters; the choices are limited to what the user can see."""

    organization = forms.IntegerField(required=False, widget=forms.HiddenInput)
    missing = forms.BooleanField(required=False, widget=forms.HiddenInput)
    campaign = forms.ModelChoiceField(
        label=_("活动"), required=False, queryset=Campaign.objects.none(), empty_label=_("全部")
    )
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部"))] + Plan.State.choices
    )
    sector = forms.ModelChoiceField(
        label=_("领域"), required=False, queryset=Sector.objects.all(), empty_label=_("全部")
    )
    phase = PhaseChoiceField(
        label=_("报送阶段"),
        required=False,
        queryset=Phase.objects.none(),
        empty_label=_("全部"),
        help_text=_("最近一次报送的时间在该阶段之内"),
    )

    def __init__(self, *args, campaigns: QuerySet[Campaign], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = campaigns
        cast(forms.ModelChoiceField, self.fields["phase"]).queryset = Phase.objects.filter(
            campaign__in=campaigns
        ).select_related("campaign")


class AsOfForm(forms.Form):
    """The campaign page's "as of" date: which phase a day falls in."""

    as_of = forms.DateField(
        label=_("查看日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD，如 2011-03-15")},
    )
