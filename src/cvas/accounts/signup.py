"""Sign-up with e-mail verification, and the e-mails of the sign-in pages.

A self sign-up makes an account that cannot sign in until the link sent to its address is opened
(`User.email_verified`). Whether an address already has an account is never shown on the page:
the form always answers "check your e-mail", and the mailbox's owner learns the rest (a link to
confirm, or a note that an account exists with a link to reset its password). Links are signed,
name the account and its address, and expire after CVAS_EMAIL_VERIFICATION_HOURS.

These e-mails are sent at once, not through the job queue, so that no sign-in link is ever stored
in the database; a failure to send is logged, and signing in again sends a new link.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from cvas.accounts.models import User
from cvas.audit.services import audit_record, snapshot
from cvas.core.actors import Actor
from cvas.core.errors import InvalidInput

logger = logging.getLogger("cvas.accounts.signup")
SALT = "cvas.accounts.verify-email"


def _send(*, to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except Exception as exc:  # the account is kept; signing in sends the link again
        logger.error("could not send %r: %s", subject, exc.__class__.__name__)


def verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=SALT, compress=True)


def verification_url(user: User) -> str:
    return settings.SITE_URL + reverse("accounts:verify_email", args=[verification_token(user)])


def send_verification(user: User) -> None:
    url = verification_url(user)
    hours = settings.CVAS_EMAIL_VERIFICATION_SECONDS // 3600
    _send(
        to=user.email,
        subject="Confirm your e-mail address for the CVAS Registry",
        body=(
            f"Someone, probably you, made an account at {settings.SITE_URL} with this address.\n\n"
            f"To confirm it and be able to sign in, open this link within {hours} hours:\n\n"
            f"{url}\n\nIf it was not you, ignore this e-mail: nothing happens without the link.\n"
        ),
    )


def _send_account_exists(user: User) -> None:
    _send(
        to=user.email,
        subject="You already have an account at the CVAS Registry",
        body=(
            f"Someone, probably you, tried to sign up at {settings.SITE_URL} with this address, "
            "which already has an account.\n\n"
            f"Sign in at {settings.SITE_URL}{reverse('accounts:login')}, or if you forgot the "
            f"password, set a new one at {settings.SITE_URL}{reverse('accounts:password_reset')}.\n\n"
            "If it was not you, ignore this e-mail.\n"
        ),
    )


def signup_request(*, email: str, full_name: str, password: str) -> User | None:
    """Start a sign-up: a new, unverified account and its link, or a note to the existing one.
    Returns the new account (None when the address had one); the page says the same either way."""
    address = User.objects.normalize_email(email.strip()).lower()
    if not address:
        raise InvalidInput("email: required", details=[{"field": "email", "reason": "required"}])
    existing = User.objects.filter(email__iexact=address).first()
    if existing is not None:
        transaction.on_commit(lambda: _send_account_exists(existing))
        return None
    with transaction.atomic():
        user = User.objects.create_user(
            email=address, password=password, full_name=full_name.strip(), email_verified=False
        )
        audit_record(
            actor=Actor(label=f"sign-up: {address}", via="web"),
            action="user.sign_up",
            obj=user,
            after=snapshot(user, ["email", "full_name", "is_active", "email_verified"]),
        )
        transaction.on_commit(lambda: send_verification(user))
    return user


def email_verify(token: str) -> tuple[str, User | None]:
    """Open a verification link: ('verified' | 'already' | 'invalid' | 'expired', the account)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.CVAS_EMAIL_VERIFICATION_SECONDS)
    except signing.SignatureExpired:
        return "expired", None
    except signing.BadSignature:
        return "invalid", None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=data.get("u")).first()
        if user is None or user.email != data.get("e") or not user.is_active:
            return "invalid", None
        if user.email_verified:
            return "already", user
        mark_verified(user=user, actor=Actor(label=f"{user.email} (e-mail link)", user=user))
    return "verified", user


@transaction.atomic
def mark_verified(*, user: User, actor: Actor) -> None:
    """The address is proven (its link opened, or a password reset through it completed)."""
    if user.email_verified:
        return
    User.objects.filter(pk=user.pk).update(email_verified=True)
    user.email_verified = True
    audit_record(
        actor=actor,
        action="user.verify_email",
        obj=user,
        before={"email_verified": False},
        after={"email_verified": True},
    )
