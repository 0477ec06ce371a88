from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledges"
    verbose_name = "公开承诺"

    def ready(self) -> None:
        from pledges import jobs  # noqa: F401  (registers the document and import jobs)
