from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("党组织与党员")

    def ready(self) -> None:
        from orgs import (
            contacts,  # noqa: F401  (a user's own mobile for core.channels)
            jobs,  # noqa: F401  (registers the import and export job kinds)
        )
