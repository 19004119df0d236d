"""Sign-in pages (/accounts/): password, second factor, e-mail verification, password reset."""

from django.contrib.auth import views as auth_views
from django.urls import path

from cvas.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("sign-up/sent/", views.sign_up_sent, name="sign_up_sent"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    path("password-reset/", views.ResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.ResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.ResetCompleteView.as_view(), name="password_reset_complete"),
]
