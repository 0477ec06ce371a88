"""Forms for the plan pages: they validate input and nothing else; writes happen in
``campaign.plans``."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Phase, Plan
from campaign.plans import PLAN_FIELDS
from orgs.models import Sector


class PlanForm(forms.ModelForm):
    """The 四个明确 and the rest. All optional here: a draft may be saved half filled;
    ``plan_submit`` refuses to file one without the 四个明确."""

    class Meta:
        model = Plan
        fields = list(PLAN_FIELDS)
        widgets = {
            name: forms.Textarea(attrs={"rows": 4}) for name in PLAN_FIELDS if name != "theme"
        }
        help_texts = {
            "theme": _("四个明确之一：本单位开展活动的实践主题"),
            "carriers": _("四个明确之一：开展活动的主要载体"),
            "conditions": _("四个明确之一：创建先进基层党组织的具体条件"),
            "commitments": _("四个明确之一：向党员群众公开承诺的内容"),
        }


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
        return f"{obj.name}（{obj.start_date:%Y-%m-%d}至{obj.end_date:%Y-%m-%d}）"


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
