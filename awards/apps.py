from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("评选表彰")

    def ready(self) -> None:
        # The 待办 of quotas received and not yet handed down or kept.
        # The workflows of nominations, rounds and objections (declared on import).
        from awards import (  # noqa: F401
            hooks,  # noqa: F401
            nominations,
            publicity,
        )
