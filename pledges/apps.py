from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    name = "pledges"
    verbose_name = _("公开承诺")

    def ready(self) -> None:
        # The document and import jobs; the 待办 counters, dashboard columns and
        # members-moved hook the lower apps read without importing pledges.
        from pledges import hooks, jobs  # noqa: F401
