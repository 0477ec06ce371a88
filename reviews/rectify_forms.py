"""Forms of the 整改 pages: they validate input; who may and the evidence rules
(content, size, count) are ``reviews.rectify``'s, so a form and a direct call
refuse alike."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from orgs.models import Organization, Sector
from reviews.models_rectify import Rectification


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class OpenForm(forms.Form):
    """交办整改: what is to be put right, and by when (the unit and the source are
    the page's)."""

    description = forms.CharField(
        label=_("整改事项"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("针对发现的问题，写明需要整改的内容"),
    )
    due_on = forms.DateField(
        label=_("整改期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ManualForm(OpenForm):
    """手工录入: the unit and the campaign are chosen."""

    campaign = forms.ModelChoiceField(label=_("活动"), queryset=Campaign.objects.none())
    organization = forms.ModelChoiceField(label=_("整改单位"), queryset=Organization.objects.none())
    source_text = forms.CharField(
        label=_("发现的问题"),
        required=False,
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    field_order = ["campaign", "organization", "source_text", "description", "due_on"]

    def __init__(self, *args: Any, campaigns: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class EvidenceForm(forms.Form):
    evidence = forms.CharField(
        label=_("整改情况"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("整改措施、落实情况和成效；标记完成时必填"),
    )
    evidence_files = MultipleFileField(
        label=_("佐证材料"),
        required=False,
        help_text=_("PDF、DOCX、PNG、JPG，每个不超过 10 MB，每项最多 10 个"),
    )


class FilterForm(forms.Form):
    """The list's filters (GET)."""

    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("unverified", _("未核验"))] + Rectification.State.choices,
    )
    overdue = forms.ChoiceField(
        label=_("逾期"),
        required=False,
        choices=[("", _("全部")), ("1", _("已逾期")), ("0", _("未逾期"))],
    )
    source = forms.ChoiceField(
        label=_("来源"),
        required=False,
        choices=[("", _("全部"))] + Rectification.SourceKind.choices,
    )
    sector = forms.ModelChoiceField(label=_("领域"), required=False, queryset=Sector.objects.none())
    organization = forms.ModelChoiceField(
        label=_("下级党组织"), required=False, queryset=Organization.objects.none()
    )
    q = forms.CharField(label=_("关键词"), required=False, max_length=50)
    unit = forms.CharField(required=False, widget=forms.HiddenInput)
    below = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, sectors: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = sectors  # type: ignore[attr-defined]
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
