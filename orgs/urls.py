from django.urls import path, re_path

from orgs import views

app_name = "orgs"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.organization_detail, name="organization_detail"),
    path("<int:pk>/children/", views.tree_children, name="tree_children"),
    path("<int:parent_pk>/new/", views.organization_create, name="organization_create"),
    path("<int:pk>/edit/", views.organization_edit, name="organization_edit"),
    path("<int:pk>/move/", views.organization_move, name="organization_move"),
    path("<int:pk>/delete/", views.organization_delete, name="organization_delete"),
    path("<int:organization_pk>/members/new/", views.member_create, name="member_create"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/transfer/", views.member_transfer, name="member_transfer"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:job_pk>/confirm/", views.import_confirm, name="import_confirm"),
    re_path(
        r"^import/template/(?P<target>organizations|members)\.(?P<fmt>xlsx|csv)$",
        views.import_template,
        name="import_template",
    ),
    re_path(
        r"^export/(?P<target>organizations|members)\.(?P<fmt>xlsx|csv)$",
        views.export,
        name="export",
    ),
]
