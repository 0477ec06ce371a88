from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "讲评评议"

    def ready(self) -> None:
        # The review_kinds section of campaign data files, loaded without campaign importing reviews.
        from reviews import hooks  # noqa: F401
