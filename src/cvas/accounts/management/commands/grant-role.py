"""`cvas grant-role EMAIL ROLE [--organisation NAME]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from cvas.accounts.choices import ORGANISATION_ROLES, StaffRole
from cvas.accounts.models import Organisation, User
from cvas.accounts.services import role_grant
from cvas.core.commands import ActorCommand
from cvas.core.errors import DomainError


class Command(ActorCommand):
    help = "Grant a regulator role, or (with --organisation) a role in an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("email")
        parser.add_argument("role", choices=[*StaffRole.values, *ORGANISATION_ROLES])
        parser.add_argument("--organisation", metavar="NAME")

    def handle(self, *args: Any, **options: Any) -> None:
        principal = self.principal(options)
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(
                f"no account for {options['email']}; create it first (cvas createsuperuser, or sign-up)"
            )
        org = None
        if options.get("organisation"):
            org = Organisation.objects.filter(name__iexact=options["organisation"].strip()).first()
            if org is None:
                raise CommandError(
                    f"--organisation {options['organisation']}: no such organisation"
                )
        try:
            principal.require_role(StaffRole.ADMINISTRATOR)
            outcome = role_grant(
                actor=principal.actor, user=user, role=options["role"], organisation=org
            )
        except DomainError as exc:
            raise self.fail(exc) from exc
        where = f" in {org.name}" if org else ""
        self.stdout.write(f"{user.email}: {options['role']}{where} {outcome}")
