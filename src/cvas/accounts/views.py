"""Sign-in pages: password, second factor (staff), e-mail verification, password reset."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from cvas.accounts import lockout, signup, totp
from cvas.accounts.forms import (
    NewPasswordForm,
    ResetForm,
    SecondFactorForm,
    SignInForm,
    locked_message,
)
from cvas.accounts.models import TotpDevice, User
from cvas.core.actors import Actor
from cvas.core.rate_limit import rate_limited

SIGN_IN_LIMIT = rate_limited("sign-in", methods=("POST",))


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@method_decorator(SIGN_IN_LIMIT, name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = SignInForm

    def form_valid(self, form: Any) -> HttpResponse:
        lockout.record_success(form.get_user().email, self.request)
        return super().form_valid(form)

    def get_success_url(self) -> str:
        target = super().get_success_url()
        user = self.request.user
        if isinstance(user, User) and totp.needs_second_factor(user):
            return f"{reverse('accounts:two_factor')}?{urlencode({'next': target})}"
        return target


@SIGN_IN_LIMIT
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator (first time) or give its current code; staff only."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not totp.needs_second_factor(user):
        return redirect(_safe_next(request, reverse("portal:home")))
    target = _safe_next(request, reverse("staff:home"))
    if totp.passed(request, user):
        return redirect(target)
    device = TotpDevice.objects.filter(user=user).first()
    enrolling = device is None or device.confirmed_at is None
    secret = totp.device_start(user=user)[1] if enrolling else None
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        wait = lockout.locked_for(user.email, request)
        if wait:
            form.add_error("code", locked_message(wait))
        elif totp.check_code(user=user, code=form.cleaned_data["code"]):
            lockout.record_success(user.email, request)
            totp.mark_passed(request, user)
            if enrolling:
                messages.success(request, _("Your authenticator app is set up."))
            return redirect(target)
        else:
            lockout.record_failure(user.email, request, what="second-factor code")
            form.add_error(
                "code",
                _("That code is not right, or it has been used already: wait for the next one."),
            )
        status = 422
    elif request.method == "POST":
        status = 422
    context: dict[str, Any] = {"form": form, "enrolling": enrolling, "next": target}
    if secret is not None:
        uri = totp.provisioning_uri(user, secret)
        context.update(
            secret=totp.grouped(secret),
            uri=uri,
            qr_svg=segno.make(uri, error="m").svg_inline(
                scale=4, border=2, title=_("QR code for your authenticator app")
            ),
        )
    return render(request, "accounts/two_factor.html", context, status=status)


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    outcome, _user = signup.email_verify(token[:512])
    if outcome in ("verified", "already"):
        messages.success(request, _("Your e-mail address is confirmed. You can sign in now."))
        return redirect("accounts:login")
    return render(request, "accounts/verify_email.html", {"outcome": outcome}, status=400)


@method_decorator(SIGN_IN_LIMIT, name="dispatch")
class ResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class ResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(SIGN_IN_LIMIT, name="dispatch")
class ResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The link came through the mailbox: that proves the address as well as a sign-up link.
        user = form.user
        signup.mark_verified(
            user=user, actor=Actor(label=f"{user.email} (password reset)", user=user)
        )
        return response


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def sign_up_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/sign_up_sent.html",
        {"hours": settings.CVAS_EMAIL_VERIFICATION_SECONDS // 3600},
    )
