"""`cvas tick`: the daily run. Expires licences past their last day; safe to run any number of times."""

from __future__ import annotations

from typing import Any

from cvas.accounts.choices import StaffRole
from cvas.core.commands import ActorCommand
from cvas.core.errors import DomainError
from cvas.core.timeutil import pk_today
from cvas.licensing.services import licences_expire_due


class Command(ActorCommand):
    help = "Daily housekeeping: expire licences whose validity has ended (run by cron or a systemd timer)."

    def handle(self, *args: Any, **options: Any) -> None:
        principal = self.principal(options)
        try:
            principal.require_role(StaffRole.ADMINISTRATOR, StaffRole.LICENSING_OFFICER)
            today = pk_today()
            expired = licences_expire_due(actor=principal.actor, today=today)
        except DomainError as exc:
            raise self.fail(exc) from exc
        self.stdout.write(
            f"tick {today:%Y-%m-%d} (Asia/Karachi): {len(expired)} licence(s) expired"
        )
        for lic in expired:
            self.stdout.write(
                f"  expired {lic.display_number} ({lic.holder.name}), last day {lic.expires_on}"
            )
