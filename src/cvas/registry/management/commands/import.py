"""`cvas import endpoints|subscribers FILE --licence NUMBER [--replace]`: a bulk import, run here."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from cvas.core.commands import ActorCommand
from cvas.core.errors import DomainError
from cvas.registry import selectors, services
from cvas.registry.choices import ImportKind, ImportStatus


class Progress:
    """A one-line progress bar on stderr (only when it is a terminal, or when asked)."""

    def __init__(self, total: int, stream: Any, enabled: bool) -> None:
        self.total = max(total, 1)
        self.stream = stream
        self.enabled = enabled
        self.start = time.monotonic()

    def __call__(self, rows: int, done: int) -> None:
        if not self.enabled:
            return
        share = min(done / self.total, 1.0)
        bar = "#" * int(share * 30)
        rate = rows / max(time.monotonic() - self.start, 1e-6)
        self.stream.write(f"\r[{bar:<30}] {share:6.1%}  {rows:,} rows  {rate:,.0f} rows/s")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class Command(ActorCommand):
    help = (
        "Import a CSV of endpoint registrations or subscribers for a licence: every row checked, "
        "all or nothing. Exit status 1 when the file is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--licence", required=True, help="The licence number (or its id where unpublished)."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Also end every active record of this licence and kind that the file does not name.",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show the progress bar even when stderr is not a terminal.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        principal = self.principal(options)
        try:
            licence = selectors.licence_for(principal, options["licence"])
            run = services.import_start(
                principal=principal,
                licence=licence,
                kind=options["kind"],
                replace=options["replace"],
                name=path.name,
            )
        except DomainError as exc:
            raise self.fail(exc) from exc
        progress = Progress(
            path.stat().st_size, sys.stderr, options["progress"] or sys.stderr.isatty()
        )
        with path.open("rb") as stream:
            run = services.import_execute(run=run, stream=stream, progress=progress)
        progress.finish()
        self.stdout.write(
            f"import #{run.pk} ({run.kind}, licence {licence.display_number}): {run.status}"
        )
        self.stdout.write(run.message)
        for err in run.errors:
            self.stdout.write(f"  line {err['line']}, {err['column']}: {err['reason']}")
        if run.error_count > len(run.errors):
            self.stdout.write(f"  … and {run.error_count - len(run.errors):,} more")
        if run.status != ImportStatus.SUCCEEDED:
            raise CommandError(
                f"the file was refused ({run.error_count:,} bad rows); nothing changed"
            )
