from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = _("创先争优活动")

    def ready(self) -> None:
        # The plan 待办 the home page reads from core.todo without importing campaign.
        from campaign import hooks  # noqa: F401
