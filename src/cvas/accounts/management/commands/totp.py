"""`cvas totp reset EMAIL` (a lost authenticator: the next sign-in sets up a new one),
`cvas totp status [EMAIL]`, and `cvas totp code EMAIL` (demo accounts only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from cvas.accounts import totp
from cvas.accounts.choices import StaffRole
from cvas.accounts.models import StaffRoleGrant, TotpDevice, User
from cvas.core.commands import ActorCommand
from cvas.core.errors import DomainError


class Command(ActorCommand):
    help = "Second factor (TOTP) of staff accounts: reset, status, and demo accounts' current code."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("action", choices=["reset", "status", "code"])
        parser.add_argument("email", nargs="?")

    def _user(self, email: str | None) -> User:
        if not email:
            raise CommandError("name the account: cvas totp ACTION EMAIL")
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"{email}: no account with that e-mail address")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        action, email = options["action"], options.get("email")
        if action == "status":
            users = (
                [self._user(email)]
                if email
                else User.objects.filter(pk__in=StaffRoleGrant.objects.values("user")).order_by(
                    "email"
                )
            )
            for user in users:
                device = TotpDevice.objects.filter(user=user).first()
                state = (
                    "none (set up at next sign-in)"
                    if device is None
                    else "confirmed"
                    if device.confirmed_at
                    else "started, not confirmed"
                )
                self.stdout.write(f"{user.email:<32} {state}")
            return
        user = self._user(email)
        if action == "code":
            if not user.is_demo:
                raise CommandError("codes are printed for demo accounts only")
            device = TotpDevice.objects.filter(user=user).first()
            if device is None:
                raise CommandError(f"{user.email} has no authenticator")
            self.stdout.write(totp.current_code(totp.secret_of(device)))
            return
        principal = self.principal(options)
        try:
            principal.require_role(StaffRole.ADMINISTRATOR)
        except DomainError as exc:
            raise self.fail(exc) from exc
        if totp.device_reset(actor=principal.actor, user=user):
            self.stdout.write(
                f"{user.email}: authenticator removed; the next sign-in sets up a new one"
            )
        else:
            self.stdout.write(f"{user.email}: had no authenticator; nothing changed")
