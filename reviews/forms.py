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
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")},
    )
    closes_on = forms.DateField(
        label=_("截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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


class MeetingForm(forms.Form):
    """讲评会记录."""

    held_on = forms.DateField(
        label=_("召开日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")},
    )
    place = forms.CharField(label=_("地点"), max_length=100)
    attendees = forms.IntegerField(label=_("参会党员人数"), min_value=0, max_value=100000)
    public_attendees = forms.IntegerField(
        label=_("群众代表人数"), min_value=0, max_value=100000, initial=0
    )
    minutes = forms.CharField(
        label=_("会议记录"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("陈述内容"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("对照承诺，陈述本期参加创先争优活动的情况"),
    )
