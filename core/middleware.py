import datetime as dt

from django.conf import settings
from django.utils import timezone, translation


class SessionIdleMiddleware:
    """Restart a signed-in session's idle clock (``SESSION_COOKIE_AGE``) at most
    once every ``SESSION_TOUCH_SECONDS``, instead of saving the session on every
    request (``SESSION_SAVE_EVERY_REQUEST``: an UPDATE and a commit per page
    view, which the busiest pages paid under load). The session still ends a
    working day after the last request, give or take that interval. When it was
    last restarted is read from the stored expiry (``core.sessions``).

    Sits right after ``SessionMiddleware``, so a session marked here is saved on
    the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        expires = getattr(session, "expires_at", None)
        if session is not None and expires is not None and not session.modified:
            restarted = expires - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
            if timezone.now() - restarted >= dt.timedelta(seconds=settings.SESSION_TOUCH_SECONDS):
                session.modified = True
        return response


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user chose another language with the switcher.

    Django's LocaleMiddleware follows the browser's Accept-Language; a district
    system is Chinese-first, so only the language cookie (set by the switcher)
    changes it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response


class AuditActorMiddleware:
    """Attribute the request's writes to its user: through the admin or through the pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from core import audit

        source = audit.Source.ADMIN if request.path.startswith("/admin/") else audit.Source.PAGE
        with audit.acting(request.user, source):
            return self.get_response(request)


class TodoBadgeMiddleware:
    """After a write by a signed-in user, forget their kept 待办 figure
    (``core.todo.badge_total``): the next page counts it again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.user.is_authenticated:
            from core import todo

            todo.forget(request.user)
        return response
