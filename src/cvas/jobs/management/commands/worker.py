"""`cvas worker`: run queued jobs (imports, exports, mail). `--batch` stops when the queue is empty."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from cvas.core.actors import Actor

# Run once before the first job: each (actor) -> list of what it did. Apps add theirs here, e.g.
# to settle work that a previous worker left half-done when it died.
ON_START: list[str] = [
    "cvas.registry.services.import_recover_interrupted",
]


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
        actor = Actor.system("worker")
        for path in ON_START:
            for item in import_string(path)(actor=actor):
                self.stderr.write(f"worker start: settled {item}")
        argv = ["--queue-name", "*", "--interval", str(options["interval"]), "--no-reload"]
        if options["batch"]:
            argv += ["--batch", "--no-startup-delay"]
        call_command("db_worker", *argv)
