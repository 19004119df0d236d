"""`cvas demo`: load synthetic demo data and print the demo accounts. Idempotent."""

from __future__ import annotations

from typing import Any

from cvas import demo
from cvas.accounts.choices import StaffRole
from cvas.core.commands import ActorCommand
from cvas.core.errors import DomainError


class Command(ActorCommand):
    help = "Add synthetic demo data (marked as demo, never mixed with the public record) and demo accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        principal = self.principal(options)
        try:
            principal.require_role(StaffRole.ADMINISTRATOR)
            result = demo.load(actor=principal.actor)
        except DomainError as exc:
            raise self.fail(exc) from exc
        if result["created"]:
            for label in result["created"]:
                self.stdout.write(f"demo data added: {label}")
        else:
            self.stdout.write("demo data already present: nothing changed")
        self.stdout.write(
            "\nDemo accounts (sign in at /accounts/login/), all with the password "
            f"{result['password']!r}:"
        )
        for email, _, what in result["accounts"]:
            self.stdout.write(f"  {email:<28} {what}")
        self.stdout.write(
            "\nRegulator staff also need a code from an authenticator app (TOTP). Add the key of the "
            "account to an app, or print the current code with `oathtool --totp -b KEY` "
            "(or `cvas totp code EMAIL`):"
        )
        for email, key in result.get("totp", {}).items():
            self.stdout.write(f"  {email:<28} {key}")
