"""Forms: they validate input and nothing else; writes happen in services."""

from typing import cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.tabular import ACCEPTED_EXTENSIONS
from orgs.models import Member, Organization, Sector


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return f"{'　' * obj.level}{obj.name}（{obj.code}）"


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "code",
            "name",
            "short_name",
            "kind",
            "sector",
            "secretary_name",
            "phone",
            "founded_on",
            "is_active",
        ]
        widgets = {"founded_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class MoveForm(forms.Form):
    new_parent = OrganizationChoiceField(
        queryset=Organization.objects.none(), label=_("新的上级组织")
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["new_parent"]).queryset = choices


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = [
            "number",
            "name",
            "gender",
            "birth_date",
            "joined_on",
            "category",
            "post",
            "mobile",
            "is_leading_cadre",
            "is_party_worker",
        ]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "joined_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "mobile": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        }


class TransferForm(forms.Form):
    to = OrganizationChoiceField(queryset=Organization.objects.none(), label=_("转入党组织"))
    transferred_on = forms.DateField(
        label=_("转接日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to"]).queryset = choices


class ImportForm(forms.Form):
    TARGETS = [("organizations", _("党组织")), ("members", _("党员"))]
    target = forms.ChoiceField(
        label=_("导入内容"),
        choices=TARGETS,
        help_text=_("文件含有某个模板的全部列时按表头识别，不必另选"),
    )
    file = forms.FileField(label=_("文件（.xlsx、.xls、.ods 或 .csv）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(ACCEPTED_EXTENSIONS):
            raise forms.ValidationError(_("只接受 .xlsx、.xls、.ods 或 .csv 文件"))
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"文件过大：{upload.size / 1024 / 1024:.1f} MB，上限为 "
                f"{settings.IMPORT_MAX_BYTES / 1024 / 1024:.0f} MB"
            )
        if upload.size == 0:
            raise forms.ValidationError("文件为空")
        return upload


class MemberFilterForm(forms.Form):
    organization = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("姓名或编号"), required=False, max_length=32)
    category = forms.ChoiceField(
        label=_("党员类别"), required=False, choices=[("", _("全部"))] + Member.Category.choices
    )
    sector = forms.ModelChoiceField(
        label=_("领域"), required=False, queryset=Sector.objects.all(), empty_label=_("全部")
    )
