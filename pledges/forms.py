"""Forms for pledges; they check the shape of input, the services check the rules."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import Criterion, Phase
from pledges.models import Pledge
from pledges.rules import CONTENT_MAX, MAX_ITEMS, VERIFICATION_MAX, audiences_for
from pledges.services import AUTHOR_MAX, COMMENT_MAX, UPDATE_TEXT_MAX, ItemInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemForm(forms.Form):
    key = forms.IntegerField(required=False, min_value=1, max_value=32767, widget=forms.HiddenInput)
    content = forms.CharField(
        label=_("承诺事项"),
        max_length=CONTENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_date = forms.DateField(label=_("完成时限"), widget=DATE)
    verification = forms.CharField(
        label=_("检验方式"),
        max_length=VERIFICATION_MAX,
        help_text=_("如：群众评议、实地查看、台账记录"),
    )
    criterion = forms.ModelChoiceField(
        label=_("对应标准"), queryset=Criterion.objects.none(), required=False
    )

    def __init__(self, *args: Any, criteria=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if criteria is not None:
            cast(forms.ModelChoiceField, self.fields["criterion"]).queryset = criteria


def _deleted(form: forms.Form) -> bool:
    return bool(form.cleaned_data.get("DELETE"))


class BaseItemFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.kept_forms():
            raise forms.ValidationError(_("至少填写一项承诺事项"))

    def items(self) -> list[ItemInput]:
        return [
            ItemInput(
                content=f.cleaned_data["content"],
                due_date=f.cleaned_data["due_date"],
                verification=f.cleaned_data["verification"],
                criterion=f.cleaned_data.get("criterion"),
                key=f.cleaned_data.get("key"),
            )
            for f in self.kept_forms()
        ]

    def kept_forms(self) -> list[forms.Form]:
        """The items to save: every item already there (changed or not) unless
        marked 删除, and the blank rows the user filled in."""
        return [
            f
            for i, f in enumerate(self.forms)
            if (i < self.initial_form_count() or f.has_changed()) and not _deleted(f)
        ]


ItemFormSet = forms.formset_factory(
    ItemForm,
    formset=BaseItemFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_ITEMS,
    validate_max=True,
)


class PledgeStartForm(forms.Form):
    audience = forms.ChoiceField(label=_("承诺对象"), choices=())
    change_note = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, for_member: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["audience"]).choices = [
            (a.value, a.label) for a in audiences_for(member=for_member)
        ]


class ChangeNoteForm(forms.Form):
    change_note = forms.CharField(
        label=_("修改说明"),
        max_length=200,
        required=False,
        help_text=_("已公示的承诺修改后需重新审核，公示页会显示修改记录"),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("评诺结果"), choices=Pledge.Outcome.choices)
    phase = forms.ModelChoiceField(label=_("评诺阶段"), queryset=Phase.objects.none())
    comment = forms.CharField(
        label=_("评诺意见"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, phases=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if phases is not None:
            cast(forms.ModelChoiceField, self.fields["phase"]).queryset = phases


class UpdateForm(forms.Form):
    item_key = forms.TypedChoiceField(label=_("承诺事项"), coerce=int, choices=())
    happened_on = forms.DateField(label=_("日期"), widget=DATE)
    text = forms.CharField(
        label=_("进展情况"), max_length=UPDATE_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.FileField(label=_("照片（可选，PNG/JPG）"), required=False)

    def __init__(self, *args: Any, items=(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["item_key"]).choices = [
            (i.key, f"{i.key}. {i.content[:30]}") for i in items
        ]


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("意见建议"),
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}),
    )
    author = forms.CharField(label=_("署名（可不填）"), max_length=AUTHOR_MAX, required=False)


class PledgeFilterForm(forms.Form):
    campaign = forms.IntegerField(required=False, widget=forms.HiddenInput)
    organization = forms.IntegerField(required=False, widget=forms.HiddenInput)
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部"))] + Pledge.State.choices
    )
    pledger = forms.ChoiceField(
        label=_("承诺主体"),
        required=False,
        choices=[("", _("全部")), ("organization", _("党组织")), ("member", _("党员"))],
    )
    q = forms.CharField(label=_("名称或姓名"), required=False, max_length=32)
    public = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ModerateForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("显示")), ("reject", _("不予显示"))],
    )


class PledgeImportForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx、.xls、.ods 或 .csv）"))

    def clean_file(self):
        from orgs.forms import ImportForm

        # The same size and type checks as other imports.
        return ImportForm.clean_file(cast(ImportForm, self))
