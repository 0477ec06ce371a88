from django.urls import path

from campaign import bulletin_views, dashboard, views

app_name = "campaign"

plan = "<int:campaign_pk>/plans/<int:organization_pk>/"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("plans/", views.plan_list, name="plan_list"),
    path("dashboard/<int:pk>/", dashboard.dashboard, name="dashboard"),
    path(
        "dashboard/<int:pk>/export.<str:fmt>", dashboard.dashboard_export, name="dashboard_export"
    ),
    path(plan, views.plan_detail, name="plan_detail"),
    path(plan + "print/", views.plan_print, name="plan_print"),
    path(plan + "edit/", views.plan_edit, name="plan_edit"),
    path(plan + "submit/", views.plan_submit, name="plan_submit"),
    path(plan + "accept/", views.plan_accept, name="plan_accept"),
    path(plan + "return/", views.plan_return, name="plan_return"),
    path(plan + "attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    # 工作简报 / 通报 / 检查通报 (campaign.bulletins)
    path("bulletins/", bulletin_views.bulletin_list, name="bulletin_list"),
    path("bulletins/new/", bulletin_views.bulletin_new, name="bulletin_new"),
    path("bulletins/<int:pk>/", bulletin_views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/edit/", bulletin_views.bulletin_edit, name="bulletin_edit"),
    path("bulletins/<int:pk>/publish/", bulletin_views.bulletin_publish, name="bulletin_publish"),
    path(
        "bulletins/<int:pk>/withdraw/", bulletin_views.bulletin_withdraw, name="bulletin_withdraw"
    ),
    path("bulletins/files/<int:pk>/", bulletin_views.bulletin_file, name="bulletin_file"),
]
