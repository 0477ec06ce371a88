from django.urls import path

from awards import flow_views, views

app_name = "awards"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("categories/<int:pk>/quota/<int:organization_pk>/", views.quota_page, name="quota"),
    path(
        "categories/<int:pk>/quota/<int:organization_pk>/allocate/",
        views.quota_allocate,
        name="quota_allocate",
    ),
    path(
        "categories/<int:pk>/quota/<int:organization_pk>/adjust/",
        views.quota_adjust,
        name="quota_adjust",
    ),
    path(
        "categories/<int:pk>/quota/<int:organization_pk>/keep/",
        views.quota_keep,
        name="quota_keep",
    ),
    path("<int:pk>/move/", flow_views.round_move, name="round_move"),
    path("<int:pk>/finalise/progress/", flow_views.finalise_progress, name="finalise_progress"),
    path("<int:pk>/documents/", views.round_document, name="round_document"),
    path("<int:pk>/nominations/", flow_views.nomination_list, name="nominations"),
    path("<int:pk>/objections/", flow_views.objection_list, name="objections"),
    path(
        "categories/<int:pk>/nominate/<int:organization_pk>/",
        flow_views.nominate,
        name="nominate",
    ),
    path("categories/<int:pk>/ranking/", flow_views.ranking, name="ranking"),
    path("categories/<int:pk>/ranking/run/", flow_views.ranking_start, name="ranking_start"),
    path("nominations/<int:pk>/", flow_views.nomination_detail, name="nomination"),
    path("nominations/<int:pk>/move/", flow_views.nomination_move, name="nomination_move"),
    path("nominations/photos/<int:pk>/", flow_views.nomination_photo, name="nomination_photo"),
    path("objections/<int:pk>/resolve/", flow_views.objection_resolve, name="objection_resolve"),
]
