from django.urls import path

from reviews import (
    document_views,
    progress_views,
    rectify_views,
    spotcheck_views,
    survey_views,
    views,
)

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
    # issue 11: rectify (整改)
    path("rectifications/", rectify_views.rectify_list, name="rectify_list"),
    path("rectifications/new/", rectify_views.rectify_new, name="rectify_new"),
    path(
        "rectifications/from/<str:kind>/<int:source_id>/",
        rectify_views.rectify_open,
        name="rectify_open",
    ),
    path("rectifications/<int:pk>/", rectify_views.rectify_detail, name="rectify_detail"),
    path(
        "rectifications/<int:pk>/evidence/", rectify_views.rectify_evidence, name="rectify_evidence"
    ),
    path("rectifications/<int:pk>/start/", rectify_views.rectify_start, name="rectify_start"),
    path(
        "rectifications/<int:pk>/complete/", rectify_views.rectify_complete, name="rectify_complete"
    ),
    path("rectifications/<int:pk>/verify/", rectify_views.rectify_verify, name="rectify_verify"),
    path("rectifications/<int:pk>/redo/", rectify_views.rectify_redo, name="rectify_redo"),
    path("rectifications/files/<int:pk>/", rectify_views.rectify_file, name="rectify_file"),
    path("rectifications/export/<str:fmt>/", rectify_views.rectify_export, name="rectify_export"),
    path(
        "rectifications/ledger/<int:organization_pk>/",
        rectify_views.rectify_ledger,
        name="rectify_ledger",
    ),
    # issue 11: surveys (群众评议)
    path("surveys/", survey_views.survey_list, name="survey_list"),
    path("surveys/new/", survey_views.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", survey_views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/issue/", survey_views.survey_issue_all, name="survey_issue_all"),
    path(
        "surveys/subjects/<int:subject_pk>/issue/", survey_views.survey_issue, name="survey_issue"
    ),
    path(
        "surveys/subjects/<int:subject_pk>/tally/", survey_views.survey_tally, name="survey_tally"
    ),
    path(
        "surveys/subjects/<int:subject_pk>/opinions/",
        survey_views.survey_opinions,
        name="survey_opinions",
    ),
    path("surveys/batches/<int:pk>/void/", survey_views.batch_void, name="survey_batch_void"),
]
