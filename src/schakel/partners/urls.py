from __future__ import annotations

from django.urls import path

from schakel.partners.views import auth, home, orgadmin

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("account/", auth.account, name="account"),
    path("account/two-factor/setup/", auth.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", auth.two_factor_verify, name="two_factor_verify"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("organisation/users/", orgadmin.user_list, name="orgadmin_users"),
    path("organisation/users/new/", orgadmin.user_create, name="orgadmin_user_create"),
    path("organisation/users/<int:pk>/", orgadmin.user_edit, name="orgadmin_user_edit"),
    path(
        "organisation/users/<int:pk>/active/",
        orgadmin.user_set_active,
        name="orgadmin_user_set_active",
    ),
    path(
        "organisation/users/<int:pk>/reset-two-factor/",
        orgadmin.user_reset_two_factor,
        name="orgadmin_user_reset_two_factor",
    ),
    path(
        "organisation/users/<int:pk>/invite/",
        orgadmin.user_resend_invitation,
        name="orgadmin_user_invite",
    ),
]
