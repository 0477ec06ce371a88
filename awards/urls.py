from django.urls import path

from awards import views

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
]
