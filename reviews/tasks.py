"""Celery entry points of reviews: thin wrappers that call a service."""

from celery import shared_task

from reviews import rectify


@shared_task(ignore_result=True)
def flag_overdue_rectifications() -> dict[str, int]:
    """Daily (beat, 00:30 Asia/Shanghai): flag the 整改 items past their due date
    and clear the flag on those no longer overdue. Safe to run twice."""
    return rectify.rectification_flag_overdue()


@shared_task(ignore_result=True)
def fold_survey_figures() -> int:
    """Every minute (beat): the web answers waiting into the dashboard's stored
    满意率 counts (``reviews.tallying.fold_satisfaction``). Safe to run twice."""
    from reviews.tallying import fold_satisfaction

    return fold_satisfaction()
