"""Forms for the review pages: they validate input; writes happen in ``reviews.services``."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from orgs.models import Organization
from reviews.models import ReviewKind


class KindChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReviewKind) -> str:
        return f"{obj.name}（{obj.campaign.name}）"


class RoundForm(forms.Form):
    """A new round: which kind, on which subtree, for which period and dates."""

    kind = KindChoiceField(label=_("评议类型"), queryset=ReviewKind.objects.none())
    organization = forms.ModelChoiceField(
        label=_("评议范围"),
        queryset=Organization.objects.none(),
        help_text=_("在这个党组织及其下级中开展"),
    )
    period = forms.CharField(label=_("期次"), max_length=64, help_text=_("如：2010年第三季度"))
    opens_on = forms.DateField(
        label=_("开始日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")},
    )
    closes_on = forms.DateField(
        label=_("截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")},
    )

    def __init__(
        self,
        *args,
        kinds: QuerySet[ReviewKind],
        organizations: QuerySet[Organization],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["kind"]).queryset = kinds
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = organizations
