from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    def can_import() -> bool:
        from orgs import selectors

        return selectors.can_anywhere(request.user, selectors.IMPORT)

    return {"SITE_TITLE": settings.SITE_TITLE, "can_import_nav": SimpleLazyObject(can_import)}
