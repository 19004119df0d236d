"""Forms of the sign-in pages: password (with lockout), the second factor, password reset."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from cvas.accounts import lockout, signup
from cvas.accounts.models import User


def locked_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return str(
        _(
            "Too many failed attempts from this address: signing in to this account is paused "
            "for %(minutes)s more minutes. It unlocks by itself; you can also reset the password."
        )
        % {"minutes": minutes}
    )


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The e-mail address or the password is not correct. Both are case-sensitive."
        ),
        "unverified": _(
            "Confirm your e-mail address first: open the link we have sent to it (a new one "
            "has just been sent)."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip()
        if username and self.request is not None:
            wait = lockout.locked_for(username, self.request)
            if wait:
                # Locked: the password is not even checked, so a lock tells an attacker nothing.
                raise ValidationError(locked_message(wait), code="locked")
        try:
            return super().clean()
        except ValidationError as exc:
            if username and self.request is not None and exc.code == "invalid_login":
                lockout.record_failure(username, self.request)
            raise

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not getattr(user, "email_verified", True):
            signup.send_verification(user)
            raise ValidationError(self.error_messages["unverified"], code="unverified")


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        help_text=_("Six digits; a new one every 30 seconds."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "dir": "ltr",
            }
        ),
    )


class ResetForm(PasswordResetForm):
    """Django's reset form, with links to the configured site address (never the request's Host)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address")

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, {**context, "site_url": settings.SITE_URL})
        send_mail(subject, body, from_email, [to_email], fail_silently=False)

    def get_users(self, email: str) -> Any:
        return (u for u in super().get_users(email) if isinstance(u, User))


class NewPasswordForm(SetPasswordForm):
    """Django's form to set a new password, in the words of the sign-up form (Django's own
    catalogue has no Urdu for some of its labels)."""

    error_messages = {
        **SetPasswordForm.error_messages,
        "password_mismatch": _("The two passwords differ."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password1"].help_text = _(
            "At least 10 characters; not a common password, not only digits."
        )
        self.fields["new_password2"].label = _("New password again")
