"""The second factor of regulator staff: a TOTP authenticator app (RFC 6238, 30-second codes).

Every account that holds a staff role must pass it before its session acts with that role (see
`Principal.from_request`); API keys are unaffected. A first sign-in shows a new secret to add to
the app, and the first code from the app confirms it. Secrets are stored only encrypted with
PII_ENCRYPTION_KEY (rotated with `cvas pii rotate`). A code is accepted for its own 30 seconds and
one step either side (clock drift), and never twice: the step of the last code used is kept, and
the update that records it is conditional, so two requests racing with one code cannot both pass.
Wrong codes count towards the sign-in lockout (`cvas.accounts.lockout`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote

import pyotp
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cvas.accounts.models import StaffRoleGrant, TotpDevice, User
from cvas.audit.services import audit_record
from cvas.core import pii
from cvas.core.actors import Actor

PURPOSE = "accounts.totp"
SESSION_KEY = "cvas_second_factor"
STEP_SECONDS = 30
DIGITS = 6


def needs_second_factor(user: User) -> bool:
    return StaffRoleGrant.objects.filter(user=user).exists()


def passed(request: HttpRequest, user: User) -> bool:
    """Whether this session has passed the second factor for this user."""
    session = getattr(request, "session", None)
    if session is None:
        return False
    marker = session.get(SESSION_KEY)
    return isinstance(marker, dict) and marker.get("user") == user.pk


def mark_passed(request: HttpRequest, user: User) -> None:
    # A new session key: whatever was known of the session before the second factor is useless.
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"user": user.pk, "at": int(time.time())}


# -- secrets ----------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def demo_secret(email: str) -> str:
    """The demo accounts' secret: derived from SECRET_KEY and the address, so that `cvas demo`
    prints the same one on every run of one installation, and no two installations share it."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"cvas-demo-totp:" + email.lower().encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest[:20]).decode()


def secret_of(device: TotpDevice) -> str:
    return pii.decrypt(device.secret_encrypted, purpose=PURPOSE)


def provisioning_uri(user: User, secret: str) -> str:
    issuer = settings.CVAS_TOTP_ISSUER
    return (
        f"otpauth://totp/{quote(issuer)}:{quote(user.email)}?secret={secret}"
        f"&issuer={quote(issuer)}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, as people type it into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# -- writes -----------------------------------------------------------------------------------


@transaction.atomic
def device_start(*, user: User) -> tuple[TotpDevice, str]:
    """The unconfirmed device to enrol (made with a new secret if there is none)."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None:
        if device.confirmed_at is not None:
            raise ValueError("this account already has a confirmed authenticator")
        return device, secret_of(device)
    secret = new_secret()
    device = TotpDevice.objects.create(
        user=user, secret_encrypted=pii.encrypt(secret, purpose=PURPOSE)
    )
    return device, secret


@transaction.atomic
def device_set(*, actor: Actor, user: User, secret: str) -> TotpDevice:
    """Give an account a confirmed device with a known secret (the demo accounts)."""
    device, created = TotpDevice.objects.select_for_update().get_or_create(
        user=user,
        defaults={
            "secret_encrypted": pii.encrypt(secret, purpose=PURPOSE),
            "confirmed_at": timezone.now(),
        },
    )
    if not created and (device.confirmed_at is None or secret_of(device) != secret):
        device.secret_encrypted = pii.encrypt(secret, purpose=PURPOSE)
        device.confirmed_at = timezone.now()
        device.last_step = 0
        device.save()
    elif not created:
        return device
    audit_record(
        actor=actor,
        action="totp.enrol",
        obj=user,
        after={"user": user.email, "device": device.pk, "how": "set by command"},
    )
    return device


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != DIGITS:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(*, user: User, code: str, now: float | None = None) -> bool:
    """Whether `code` is a fresh code of the user's device; confirms an unconfirmed device."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is None:
        return False
    step = _matching_step(secret_of(device), code, time.time() if now is None else now)
    if step is None:
        return False
    with transaction.atomic():
        # Conditional: of two requests with one code, only the first moves last_step forward.
        fresh = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
        if not fresh:
            return False
        if device.confirmed_at is None:
            TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
            audit_record(
                actor=Actor.for_user(user),
                action="totp.enrol",
                obj=user,
                after={"user": user.email, "device": device.pk, "how": "confirmed by the user"},
            )
    return True


@transaction.atomic
def device_reset(*, actor: Actor, user: User) -> bool:
    """Remove an account's authenticator: its next sign-in enrols a new one."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return False
    before: dict[str, Any] = {
        "user": user.email,
        "device": device.pk,
        "confirmed": device.confirmed_at is not None,
    }
    device.delete()
    audit_record(actor=actor, action="totp.reset", obj=user, before=before)
    return True


def current_code(secret: str, now: float | None = None) -> str:
    """The code an app shows now (for `cvas totp code` on demo accounts and for tests)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(
        int(time.time() if now is None else now)
    )
