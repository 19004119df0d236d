"""`cvas worker`: run queued jobs (imports, exports, mail). `--batch` stops when the queue is empty."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background worker on the database queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Process what is queued, then exit."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls (default 1)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        argv = ["--queue-name", "*", "--interval", str(options["interval"]), "--no-reload"]
        if options["batch"]:
            argv += ["--batch", "--no-startup-delay"]
        call_command("db_worker", *argv)
