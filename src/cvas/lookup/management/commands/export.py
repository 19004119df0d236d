"""`cvas export --format csv|json|cidr|mmdb --out FILE`: a full export of the active prefixes, now.
`cvas export --publish` produces every format into CVAS_EXPORT_DIR and publishes them (what
`cvas tick` does daily)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import CommandError, CommandParser

from cvas.accounts.choices import StaffRole
from cvas.core.commands import ActorCommand
from cvas.core.errors import DomainError
from cvas.lookup import exports, services
from cvas.lookup.choices import ExportFormat


class Command(ActorCommand):
    help = "Export the active prefixes (no personal data) as csv, json, cidr or mmdb."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--format", choices=ExportFormat.values, help="the file's format")
        parser.add_argument("--out", metavar="FILE", help="where to write it")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="produce and publish every format for GET /api/v1/exports (as cvas tick does)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        principal = self.principal(options)
        try:
            principal.require_role(*StaffRole.values)
        except DomainError as exc:
            raise self.fail(exc) from exc
        if options["publish"]:
            for e in services.publish_exports(actor=principal.actor):
                self.stdout.write(
                    f"{e.format}: {e.count:,} in {services.export_path(e)} "
                    f"sha256 {e.sha256} cursor {e.cursor}"
                )
            return
        fmt, out = options["format"], options["out"]
        if not fmt or not out:
            raise CommandError("give --format and --out (or --publish)")
        directory = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(directory):
            raise CommandError(f"--out: no directory {directory}")
        src = exports.Source.read()
        count = exports.write(fmt, out, src)
        self.stdout.write(
            f"{fmt}: {count:,} written to {out} (sha256 {exports.sha256_of(out)}; "
            f"current to change-feed cursor {src.cursor}, generated {src.generated_at.isoformat()})"
        )
