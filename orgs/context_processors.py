from django.utils.functional import SimpleLazyObject

from orgs import selectors


def nav(request):
    """Whether the menu offers 导入; lazy, so pages that do not show the menu ask nothing."""

    def can_import() -> bool:
        return selectors.can_anywhere(request.user, selectors.IMPORT)

    return {"can_import_nav": SimpleLazyObject(can_import)}
