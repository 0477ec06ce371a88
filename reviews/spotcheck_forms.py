"""Forms of the spot-check pages: they validate input; the sizes' rules (k within
the population, percent 1..100, one of the two) are ``reviews.spotcheck``'s,
so the form and a direct call refuse alike."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from orgs.models import Organization

BIG = 10**9  # only keeps a typed number inside an integer column; the service judges sizes


class SpotCheckRoundForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("活动"), queryset=Campaign.objects.none())
    organization = forms.ModelChoiceField(
        label=_("抽查范围"),
        queryset=Organization.objects.none(),
        help_text=_("从这个党组织的下级中抽取"),
    )
    title = forms.CharField(
        label=_("名称"), max_length=100, help_text=_("如：2011年上半年随机抽查")
    )
    size = forms.IntegerField(
        label=_("抽查数量"),
        required=False,
        min_value=-BIG,
        max_value=BIG,
        help_text=_("抽取的单位个数；与抽查比例二者选一"),
    )
    percent = forms.IntegerField(
        label=_("抽查比例（%）"),
        required=False,
        min_value=-BIG,
        max_value=BIG,
        help_text=_("按总体单位数的百分比抽取（四舍五入，至少 1 个）"),
    )
    stratify = forms.BooleanField(label=_("按领域分层"), required=False, initial=True)
    kinds = forms.MultipleChoiceField(
        label=_("组织类型"),
        required=False,
        choices=Organization.Kind.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("只抽这些类型的党组织（如只抽党支部）；不选为全部"),
    )

    def __init__(
        self,
        *args,
        campaigns: QuerySet[Campaign],
        organizations: QuerySet[Organization],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = campaigns
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = organizations


class SpotCheckForm(forms.Form):
    """检查情况 of one sampled unit: the checklist as found, the findings."""

    plan_filed = forms.BooleanField(label=_("实施方案已报送"), required=False)
    pledges_public = forms.BooleanField(label=_("承诺已公示"), required=False)
    meeting_held = forms.BooleanField(label=_("已召开讲评会"), required=False)
    satisfaction = forms.DecimalField(
        label=_("群众满意率（%）"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text=_("尚无群众评议数据时可留空（显示“—”）"),
    )
    findings = forms.CharField(
        label=_("检查发现的问题"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每条一行；没有问题请填写“未发现问题”"),
    )
    done = forms.BooleanField(label=_("检查完成"), required=False)
