from django.urls import path

from pledges import views

app_name = "pledges"

urlpatterns = [
    path("", views.pledge_list, name="pledge_list"),
    path("new/", views.pledge_create, name="pledge_create"),
    path("export/<str:fmt>/", views.pledge_export, name="pledge_export"),
    path("<int:pk>/", views.pledge_detail, name="pledge_detail"),
    path("<int:pk>/edit/", views.pledge_edit, name="pledge_edit"),
    path("<int:pk>/submit/", views.pledge_submit, name="pledge_submit"),
    path("<int:pk>/approve/", views.pledge_approve, name="pledge_approve"),
    path("<int:pk>/return/", views.pledge_return, name="pledge_return"),
    path("<int:pk>/publish/", views.pledge_publish, name="pledge_publish"),
    path("<int:pk>/outcome/", views.pledge_outcome, name="pledge_outcome"),
    path("<int:pk>/updates/", views.pledge_update_add, name="pledge_update_add"),
    path("comments/", views.comment_list, name="comment_list"),
    path("comments/<int:pk>/moderate/", views.comment_moderate, name="comment_moderate"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:job_pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/template/<str:fmt>/", views.import_template, name="import_template"),
    path(
        "documents/<str:kind>/<int:organization_pk>/",
        views.document_start,
        name="document_start",
    ),
]
