"""Login with a throttle: repeated failures for one account from one address wait.

The failures are rows in the database (``LoginFailure``), counted through
``core.public.rate_allows``: every web process sees the same count, two guesses
racing each other are counted one after the other, and no cache has to be up.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import LoginFailure
from core.net import client_address
from core.public import address_hash, rate_allows, window_start


def _key(request, username: str) -> str:
    return address_hash(f"{client_address(request)}|{username.strip().lower()[:150]}")


class ThrottledLoginView(auth_views.LoginView):
    """After LOGIN_MAX_FAILURES failed attempts, refuse for LOGIN_LOCKOUT_SECONDS."""

    redirect_authenticated_user = True
    throttle_key = ""
    throttled = False

    def post(self, request, *args, **kwargs):
        self.throttle_key = _key(request, request.POST.get("username", ""))
        since = window_start(settings.LOGIN_LOCKOUT_SECONDS)
        with transaction.atomic():
            LoginFailure.objects.filter(at__lt=since).delete()  # the window has passed
            recent = LoginFailure.objects.filter(key=self.throttle_key, at__gte=since)
            self.throttled = not rate_allows(
                scope="login",
                key=self.throttle_key,
                recent=recent,
                limit=settings.LOGIN_MAX_FAILURES,
            )
            return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.throttled:
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            blocked = ValidationError(
                _("登录失败次数过多，请 %(n)s 分钟后再试") % {"n": minutes}, code="throttled"
            )

            def refuse():
                raise blocked

            form.clean = refuse  # type: ignore[method-assign]  # refuse before the password is even checked
        return form

    def form_invalid(self, form):
        if self.throttle_key and not self.throttled:
            LoginFailure.objects.create(key=self.throttle_key)
        return super().form_invalid(form)

    def form_valid(self, form):
        LoginFailure.objects.filter(key=self.throttle_key).delete()
        return super().form_valid(form)
