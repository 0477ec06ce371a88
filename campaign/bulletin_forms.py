"""The bulletin form: it validates input and nothing else; ``campaign.bulletins``
checks the text, the file and the right again and writes."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaign.bulletins import TITLE_MAX
from campaign.models import Campaign
from campaign.models_bulletins import BODY_MAX, Bulletin
from orgs.models import Organization


class BulletinForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label=_("活动"),
        queryset=Campaign.objects.none(),
        error_messages={"required": _("活动：请选择活动"), "invalid_choice": _("活动：请选择活动")},
    )
    organization = forms.ModelChoiceField(
        label=_("发布单位"),
        queryset=Organization.objects.none(),
        error_messages={
            "required": _("发布单位：请选择发布单位"),
            "invalid_choice": _("发布单位：请选择您所在的活动办公室或党（工）委"),
        },
    )
    kind = forms.ChoiceField(label=_("类型"), choices=Bulletin.Kind.choices)
    title = forms.CharField(
        label=_("标题"),
        max_length=TITLE_MAX,
        error_messages={
            "required": _("标题：请填写标题"),
            "max_length": _("标题：最多 %(limit_value)d 个字（现有 %(show_value)d 个）"),
        },
    )
    body = forms.CharField(
        label=_("正文"),
        max_length=BODY_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("纯文本；空一行为一段。"),
        error_messages={
            "required": _("正文：请填写正文"),
            "max_length": _("正文：最多 %(limit_value)d 个字（现有 %(show_value)d 个）"),
        },
    )
    audience = forms.ChoiceField(
        label=_("发布范围"),
        choices=Bulletin.Audience.choices,
        help_text=_(
            "本组织及下级：发布单位及其下级党组织的工作人员可以阅读；公开：任何人可在“工作简报公开”页面阅读。"
        ),
    )
    attachment = forms.FileField(
        label=_("附件（PDF、PNG、JPG，可不传）"),
        required=False,
        error_messages={"empty": _("附件：文件为空")},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(
        self,
        *args,
        campaigns: QuerySet[Campaign] | None = None,
        organizations: QuerySet[Organization] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if campaigns is None or organizations is None:  # editing: these stay as they are
            del self.fields["campaign"]
            del self.fields["organization"]
        else:
            cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = campaigns
            cast(forms.ModelChoiceField, self.fields["organization"]).queryset = organizations
