"""What every data-changing command shares: `--actor EMAIL`, or else the operating-system user."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cvas.core.actors import Actor
from cvas.core.errors import DomainError


class ActorCommand(BaseCommand):
    """A command that changes data and records who did it."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--actor",
            metavar="EMAIL",
            help="The account to record as actor (its roles are checked); default: the operating-system user.",
        )

    def actor(self, options: dict[str, Any]) -> Actor:
        email = options.get("actor")
        if not email:
            return Actor.os_user()
        from cvas.accounts.models import User

        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"--actor {email}: no active account with that e-mail address")
        return Actor.for_user(user, via="command")

    def principal(self, options: dict[str, Any]) -> Any:
        """Role checks for the named account; without --actor, the shell operator acts with every
        staff role (whoever can run commands on the server holds the database already)."""
        from cvas.accounts.choices import StaffRole
        from cvas.accounts.principal import Principal

        actor = self.actor(options)
        if actor.user is not None:
            return dataclasses.replace(Principal.for_user(actor.user), via="command")
        return Principal(user=None, staff_roles=frozenset(StaffRole.values), operator=actor)

    def fail(self, exc: DomainError) -> CommandError:
        details = "; ".join(f"{d.get('field', '')}: {d.get('reason', '')}" for d in exc.details)
        return CommandError(
            exc.message + (f" ({details})" if details and details not in exc.message else "")
        )
