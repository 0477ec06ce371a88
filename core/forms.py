"""Small helpers for forms shared by the apps' views."""

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def first_error(form: forms.BaseForm) -> str:
    """The form's first error message, for a one-line flash message after a POST."""
    return next((str(e) for errors in form.errors.values() for e in errors), _("输入有误"))


class ReasonForm(forms.Form):
    """The reason a workflow move asks for (退回, 重新整改, reopening a round …),
    labelled after the move: ``ReasonForm(data, move=WORKFLOW.moves["return"])``."""

    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, move: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label = format_lazy(gettext_lazy("{move}理由"), move=move.label)
        field.error_messages["required"] = format_lazy(
            gettext_lazy("{move}必须填写理由"), move=move.label
        )
