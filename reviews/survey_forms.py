"""Forms of the 群众评议 staff pages. They validate input; whether it adds up
(forms against attendees, counts against forms) is ``reviews.surveys``'s rule,
so the form and a direct call refuse alike."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from orgs.models import Organization
from reviews.models import ReviewRound
from reviews.models_surveys import Survey

BIG = 10**9


class SurveyForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("活动"), queryset=Campaign.objects.none())
    organization = forms.ModelChoiceField(
        label=_("评议范围"),
        queryset=Organization.objects.none(),
        help_text=_("评议这个党组织之下参加本活动的各党组织"),
    )
    title = forms.CharField(label=_("名称"), max_length=100, help_text=_("如：2026年度群众评议"))
    subject_kind = forms.TypedChoiceField(
        label=_("评议对象"),
        choices=Survey.SubjectKind.choices,
        initial=Survey.SubjectKind.ORGANIZATIONS,
        required=False,
        empty_value=Survey.SubjectKind.ORGANIZATIONS,
        help_text=_("评议范围之下的各党组织，或其中的党员（全体党员或党员领导干部）"),
    )
    round = forms.ModelChoiceField(
        label=_("计入评议轮次"),
        queryset=ReviewRound.objects.none(),
        required=False,
        empty_label=_("不计入（单独的群众评议）"),
        help_text=_("评议主体中有“群众评议”的轮次：本次评议的结果作为该轮的群众评议计入综合得分"),
    )
    opens_on = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    closes_on = forms.DateField(
        label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    target = forms.DecimalField(
        label=_("满意率目标（%）"), initial=90, min_value=0, max_value=100, decimal_places=2
    )
    questions = forms.CharField(
        label=_("评议内容"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "每行一项；默认为“党性观念强不强、联系服务群众够不够、发挥先锋模范作用明显不明显”"
        ),
    )

    def __init__(
        self,
        *args,
        campaigns: QuerySet[Campaign],
        organizations: QuerySet[Organization],
        rounds: QuerySet[ReviewRound],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = campaigns
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = organizations
        if rounds.exists():
            cast(forms.ModelChoiceField, self.fields["round"]).queryset = rounds
        else:  # no round takes a 群众评议: nothing to choose
            del self.fields["round"]

    def clean_questions(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["questions"].splitlines()]
        return [line for line in lines if line]


class BatchForm(forms.Form):
    size = forms.IntegerField(
        label=_("评议码数量"), min_value=1, max_value=20000, help_text=_("每张评议卡一个评议码")
    )


class TallyForm(forms.Form):
    """纸质评议汇总: per question a count per answer and of blank or spoilt forms."""

    held_on = forms.DateField(
        label=_("评议日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    attendees = forms.IntegerField(label=_("发放评议表份数"), min_value=1, max_value=BIG)
    forms_count = forms.IntegerField(label=_("收回评议表份数"), min_value=0, max_value=BIG)

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.rows = []
        for q, text in enumerate(survey.questions):
            names = []
            labels = [c["label"] for c in survey.choices] + [str(_("无效"))]
            for c, label in enumerate(labels):
                name = f"q{q}_{c}"
                self.fields[name] = forms.IntegerField(
                    label=f"{q + 1}. {text} · {label}",
                    min_value=0,
                    max_value=BIG,
                    initial=0,
                )
                names.append(name)
            self.rows.append({"text": text, "fields": [self[name] for name in names]})

    def counts(self) -> list[list[int]]:
        width = len(self.survey.choices) + 1
        return [
            [self.cleaned_data[f"q{q}_{c}"] for c in range(width)]
            for q in range(len(self.survey.questions))
        ]
