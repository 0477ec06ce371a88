from django.urls import path

from reviews import document_views, progress_views, spotcheck_views, views

app_name = "reviews"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("new/", views.round_new, name="round_new"),
    path("cadence/<int:campaign_pk>/", views.cadence, name="cadence"),
    path("cadence/milestones/<int:pk>/open/", views.cadence_open, name="cadence_open"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("<int:pk>/open/", views.round_open, name="round_open"),
    path("<int:pk>/close/", views.round_close, name="round_close"),
    path("<int:pk>/publish/", views.round_publish, name="round_publish"),
    path("<int:pk>/reopen/", views.round_reopen, name="round_reopen"),
    path("<int:pk>/grid/<int:organization_pk>/", views.grid, name="grid"),
    path("<int:pk>/grid/<int:organization_pk>/file/", views.grid_file, name="grid_file"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/opinions/", views.opinions, name="opinions"),
    path("<int:pk>/progress/", progress_views.progress, name="progress"),
    path("<int:pk>/meeting/<int:organization_pk>/", views.meeting, name="meeting"),
    path("<int:pk>/peer/", views.peer, name="peer"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/upward/<int:organization_pk>/", views.upward, name="upward"),
    path("subjects/<int:review_pk>/", views.subject, name="subject"),
    path("subjects/<int:review_pk>/statement/", views.statement, name="statement"),
    path("subjects/<int:review_pk>/tally/", views.tally, name="tally"),
    path(
        "<int:pk>/reports/<int:organization_pk>/",
        document_views.report_start,
        name="report_start",
    ),
    path("<int:pk>/reports/", document_views.reports_zip_start, name="reports_zip_start"),
    path("<int:pk>/export/<str:fmt>/", document_views.export_start, name="export_start"),
    # issue 11: spotcheck (随机抽查)
    path("spotchecks/", spotcheck_views.spotcheck_list, name="spotcheck_list"),
    path("spotchecks/new/", spotcheck_views.spotcheck_new, name="spotcheck_new"),
    path("spotchecks/<int:pk>/", spotcheck_views.spotcheck_detail, name="spotcheck_detail"),
    path(
        "spotchecks/<int:pk>/units/<int:organization_pk>/",
        spotcheck_views.spotcheck_check,
        name="spotcheck_check",
    ),
    path("spotchecks/<int:pk>/report/", spotcheck_views.spotcheck_report, name="spotcheck_report"),
]
