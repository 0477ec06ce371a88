from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from awards import public_views as award_public
from campaign import bulletin_public
from config import views as config_views
from core import views as core_views
from core.auth import ThrottledLoginView
from pledges import board as pledge_board
from reviews import public as public_reviews
from reviews import survey_public

admin.site.site_header = settings.SITE_TITLE
admin.site.site_title = settings.SITE_TITLE
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", config_views.home, name="home"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("orgs/", include("orgs.urls")),
    path("campaign/", include("campaign.urls")),
    path("reviews/", include("reviews.urls")),
    path("awards/", include("awards.urls")),
    path("pledges/", include("pledges.urls")),
    # 公示栏: stable, readable public addresses (printed as QR codes on posters).
    path("gongshi/<str:code>/", pledge_board.board, name="board"),
    path(
        "gongshi/<str:code>/comment/<int:pledge_pk>/",
        pledge_board.comment_post,
        name="board_comment",
    ),
    path("gongshi/photo/<int:pk>/", pledge_board.update_photo, name="board_photo"),
    # 评议结果公开: the published results of the kinds that publish to the public.
    path("biaozhang/<int:pk>/", award_public.public_list, name="award_public"),
    path("biaozhang/<int:pk>/yiyi/", award_public.objection_post, name="award_objection"),
    path("biaozhang/<int:pk>/zhanshi/", award_public.showcase, name="award_showcase"),
    path("pingyi/", public_reviews.public_list, name="public_reviews"),
    # 群众评议: the answer page for a code (printed on slips as a QR code).
    path("pingyi/dm/", survey_public.survey_answer, name="survey_answer"),
    path("pingyi/dm/<str:code>/", survey_public.survey_code, name="survey_code"),
    path("pingyi/<int:pk>/", public_reviews.public_results, name="public_review"),
    # 工作简报公开: the published 公开 bulletins.
    path("jianbao/", bulletin_public.public_list, name="public_bulletins"),
    path("jianbao/<int:pk>/", bulletin_public.public_detail, name="public_bulletin"),
    path("jianbao/file/<int:pk>/", bulletin_public.public_file, name="public_bulletin_file"),
    path("", include("core.urls")),
    path("admin/", admin.site.urls),
]
