from django.contrib.auth import views as auth_views
from django.urls import path

from . import two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("account/", views.profile, name="profile"),
    path("account/two-factor/", two_factor_views.second_factor, name="two_factor"),
    path("account/two-factor/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("account/two-factor/recovery-codes/", two_factor_views.recovery_codes, name="two_factor_codes"),
    path("account/two-factor/disable/", two_factor_views.disable, name="two_factor_disable"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(success_url="/account/password/done/"),
        name="password_change",
    ),
    path("account/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/<id:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<id:pk>/members/add/", views.member_add, name="member_add"),
    path("organisations/<id:pk>/members/<id:membership_pk>/", views.member_edit, name="member_edit"),
    path("organisations/<id:pk>/members/<id:membership_pk>/remove/", views.member_remove, name="member_remove"),
    path("organisations/<id:pk>/sites/add/", views.site_create, name="site_create"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/<id:pk>/", views.site_edit, name="site_edit"),
]
