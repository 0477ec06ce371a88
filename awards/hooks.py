"""What awards plugs into the lower apps: the home page's 待办 (a quota received
and neither handed down nor kept)."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from core import todo


@todo.register("awards.quota")
def quotas_waiting(user: Any) -> list[todo.Todo]:
    """One line per quota a unit the user answers for received and has not yet
    allocated to its children or confirmed keeping."""
    from awards.quotas import waiting_quotas

    lines = []
    for quota in waiting_quotas(user):
        text = _("%(unit)s：%(round)s%(category)s名额 %(n)s 个待分配或确认") % {
            "unit": quota.organization.name,
            "round": quota.category.round.name,
            "category": quota.category.name,
            "n": quota.amount,
        }
        url = reverse(
            "awards:quota",
            kwargs={"pk": quota.category_id, "organization_pk": quota.organization_id},
        )
        lines.append(todo.Todo(text, 1, url))
    return lines
