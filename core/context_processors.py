from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from core import notify, todo


def site(request):
    return {"SITE_TITLE": settings.SITE_TITLE}


@dataclass(frozen=True)
class MenuCounts:
    todo: int  # the 待办 total (core.todo), the home page's lines summed
    unread: int  # 站内通知 not yet read

    @property
    def total(self) -> int:
        return self.todo + self.unread


def menu_counts(request):
    """The menu's badges; lazy, so a page without the menu (or anonymous) asks nothing."""

    def counts() -> MenuCounts:
        if not request.user.is_authenticated:
            return MenuCounts(0, 0)
        return MenuCounts(
            todo=todo.badge_total(request),
            unread=notify.unread_count(request.user),
        )

    return {"menu_counts": SimpleLazyObject(counts)}
