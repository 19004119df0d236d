"""`cvas seed`: load the regimes and the public-record licensees. Idempotent."""

from __future__ import annotations

from typing import Any

from cvas.accounts.choices import StaffRole
from cvas.core.commands import ActorCommand
from cvas.core.errors import DomainError
from cvas.licensing.services import seed_public_record


class Command(ActorCommand):
    help = "Load the policy timeline (regimes) and the licensees named by PTA on 13 Nov 2025."

    def handle(self, *args: Any, **options: Any) -> None:
        principal = self.principal(options)
        try:
            principal.require_role(StaffRole.ADMINISTRATOR)
            counts = seed_public_record(actor=principal.actor)
        except DomainError as exc:
            raise self.fail(exc) from exc
        if not any(counts.values()):
            self.stdout.write("public record already loaded: nothing changed")
        else:
            self.stdout.write(
                "public record loaded: "
                + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
            )
