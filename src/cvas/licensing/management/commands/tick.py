"""`cvas tick`: the daily run (cron or a systemd timer). Safe to run any number of times a day, or to miss a day."""

from __future__ import annotations

from typing import Any

from cvas.accounts.choices import StaffRole
from cvas.core import tick
from cvas.core.commands import ActorCommand
from cvas.core.errors import DomainError
from cvas.core.timeutil import pk_today


class Command(ActorCommand):
    help = (
        "Daily housekeeping: licence expiry and every other dated duty (see README, 'Deployment')."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        principal = self.principal(options)
        today = pk_today()
        try:
            principal.require_role(
                StaffRole.ADMINISTRATOR, StaffRole.LICENSING_OFFICER, StaffRole.COMPLIANCE_OFFICER
            )
            results = tick.run(actor=principal.actor, today=today)
        except DomainError as exc:
            raise self.fail(exc) from exc
        self.stdout.write(f"tick {today:%Y-%m-%d} (Asia/Karachi)")
        for result in results:
            for line in result.lines:
                self.stdout.write(f"{result.name}: {line}" if not line.startswith("  ") else line)
