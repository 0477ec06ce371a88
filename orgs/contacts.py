"""What orgs tells ``core.channels``: a user's own mobile number, from their
own member record only (members' numbers are personal data; nobody else's
record is read to reach a user)."""

from typing import Any

from core import channels
from orgs.models import Member


@channels.register_mobile("orgs.own_member")
def own_mobile(user: Any) -> str:
    if not getattr(user, "pk", None):
        return ""
    found = Member.objects.filter(user_id=user.pk).values_list("mobile", flat=True).first()
    return found or ""
