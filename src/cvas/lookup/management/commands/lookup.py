"""`cvas lookup ADDRESS... [--json]`: which registration covers each address (`-` reads standard
input, one address a line), through the same in-memory index as the API."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

from django.core.management.base import CommandParser

from cvas.core.commands import ActorCommand
from cvas.lookup import selectors
from cvas.lookup.runtime import RUNTIME

CHUNK = 10_000


class Command(ActorCommand):
    help = (
        "Look up addresses: the most specific active registration covering each. `-` reads "
        "addresses from standard input. Answers as --actor would see them (default: the "
        "server's operator, who sees what regulator staff see)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "addresses", nargs="+", metavar="ADDRESS", help="addresses, or - for stdin"
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="one JSON object a line: address, prefix (null when not registered), and the rest",
        )

    def _addresses(self, given: list[str]) -> Iterator[str]:
        for a in given:
            if a == "-":
                for line in sys.stdin:
                    text = line.strip()
                    if text:
                        yield text
            else:
                yield a.strip()

    def handle(self, *args: Any, **options: Any) -> None:
        principal = self.principal(options)
        view = selectors.view_for(principal)
        snap = RUNTIME.snapshot(background=False)
        as_json = options["json"]
        batch: list[str] = []
        missing = 0
        for text in self._addresses(options["addresses"]):
            batch.append(text)
            if len(batch) >= CHUNK:
                missing += self._answer(batch, view, snap, as_json)
                batch = []
        if batch:
            missing += self._answer(batch, view, snap, as_json)

    def _answer(self, texts: list[str], view: selectors.View, snap: Any, as_json: bool) -> int:
        missing = 0
        for text, rec in selectors.lookup_texts(view, texts):
            if rec is False:
                row: dict[str, Any] = {
                    "address": text,
                    "prefix": None,
                    "registered": False,
                    "error": "not an IPv4 or IPv6 address",
                }
            elif rec is None or rec is True:
                row = {"address": text, "prefix": None, "registered": False}
            else:
                row = selectors.answer(rec, view, snap.licences, text)
            if row["prefix"] is None:
                missing += 1
            if as_json:
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            elif row["prefix"] is None:
                self.stdout.write(f"{text}\t{row.get('error', 'not registered')}")
            else:
                lic = row["licence"]
                licence = (
                    f"licence {lic['number'] or '(number not published)'} of {lic['holder']} ({lic['status']})"
                    if lic
                    else "portal registration"
                )
                holder = row["holder"] or f"an {row['holder_type']}"
                self.stdout.write(
                    f"{text}\t{row['prefix']}\t{row['handle']}\t{holder}\t{licence}\t"
                    f"since {row['registered_since']}"
                )
        return missing
