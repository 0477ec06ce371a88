"""Small helpers for forms shared by the apps' views."""

from django import forms


def first_error(form: forms.BaseForm) -> str:
    """The form's first error message, for a one-line flash message after a POST."""
    return next((str(e) for errors in form.errors.values() for e in errors), "输入有误")
