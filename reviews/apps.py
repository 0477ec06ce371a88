from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("讲评评议")

    def ready(self) -> None:
        # The review_kinds section of campaign data files, loaded without campaign importing reviews.
        from reviews import hooks  # noqa: F401
