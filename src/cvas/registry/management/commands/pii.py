"""`cvas pii rotate`: re-encrypt personal data under the current PII_ENCRYPTION_KEY.
`cvas pii status` counts the values still under an older key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from cvas.core.commands import ActorCommand
from cvas.registry.pii_rotation import rotate, status


class Command(ActorCommand):
    help = "Personal data at rest: `rotate` re-encrypts under the current key; `status` counts what is not."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("action", choices=["rotate", "status"])
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            for label, count in status().items():
                self.stdout.write(f"{label}: {count:,} value(s) under an older key")
            return
        done = rotate(actor=self.actor(options), batch=options["batch"])
        for label, count in done.items():
            self.stdout.write(f"{label}: {count:,} value(s) re-encrypted")
