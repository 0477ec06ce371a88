from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("评选表彰")

    def ready(self) -> None:
        # The 待办 of quotas received and not yet handed down or kept.
        from awards import hooks  # noqa: F401
