from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("评选表彰")

    def ready(self) -> None:
        # The 待办 (quotas, nominations), the workflows of nominations, rounds and
        # objections (declared on import) and the ranking job.
        from awards import document_jobs, hooks, jobs, nominations, publicity  # noqa: F401
