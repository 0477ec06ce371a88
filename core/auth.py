"""Login with a throttle: repeated failures for one account from one address wait."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.core.exceptions import ValidationError

from core.net import client_address


def _key(request, username: str) -> str:
    address = client_address(request)
    return f"login-failures:{address}:{username.strip().lower()[:150]}"


class ThrottledLoginView(auth_views.LoginView):
    """After LOGIN_MAX_FAILURES failed attempts, refuse for LOGIN_LOCKOUT_SECONDS."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        self.throttle_key = _key(request, request.POST.get("username", ""))
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        key = getattr(self, "throttle_key", None)
        if key and cache.get(key, 0) >= settings.LOGIN_MAX_FAILURES:
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            blocked = ValidationError(
                f"登录失败次数过多，请 {minutes} 分钟后再试", code="throttled"
            )

            def refuse():
                raise blocked

            form.clean = refuse  # refuse before the password is even checked
        return form

    def form_invalid(self, form):
        key = getattr(self, "throttle_key", None)
        if key and not form.has_error("__all__", code="throttled"):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(self.throttle_key)
        return super().form_valid(form)
