"""`cvas audit verify [--head SEQ:HASH]` and `cvas audit head`."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cvas.audit.selectors import audit_head, audit_verify

HEAD_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain, or print its head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Walk the chain; exit 1 naming the first bad entry.")
        verify.add_argument(
            "--head",
            help="SEQ:HASH printed earlier by `cvas audit head`; also detects a truncated tail.",
        )
        sub.add_parser("head", help="Print the last entry's sequence number and hash as SEQ:HASH.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "head":
            seq, digest = audit_head()
            self.stdout.write(f"{seq}:{digest}")
            return
        expected = None
        if options.get("head"):
            match = HEAD_RE.match(options["head"].strip())
            if not match:
                raise CommandError("--head must be SEQ:HASH, as printed by `cvas audit head`")
            expected = (int(match.group(1)), match.group(2))
        report = audit_verify(expected_head=expected)
        if not report.ok:
            raise CommandError(
                f"audit chain broken at {report.problem} ({report.checked} entries verified before it)"
            )
        self.stdout.write(
            f"audit chain intact: {report.checked} entries, head {report.last_seq}:{report.last_hash}"
        )
