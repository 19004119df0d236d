"""The change log of prefix registrations (written by database triggers, never by Python) and the
exports published from it.

`RegistrationChange` gets one row for every insert, and every update that changes what a lookup
answers, of an IP-prefix registration — whoever wrote it: a service, a set-based import, COPY, or
SQL typed by hand — in the writing transaction. `seq` is a sequence; `xid` is the writing
PostgreSQL transaction's id (0 on SQLite, where writers are serialised and `seq` is commit order).
See cvas.lookup.feed for how the feed turns these into a gap-free, resumable order.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from cvas.lookup.choices import ExportFormat


class RegistrationChange(models.Model):
    seq = models.BigAutoField(primary_key=True)
    xid = models.BigIntegerField(default=0)
    registration_id = models.BigIntegerField()
    op = models.CharField(max_length=1, help_text="I: created; U: changed or ended.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["xid", "seq"]
        indexes = [
            models.Index(fields=["xid", "seq"], name="lookup_change_order_idx"),
            models.Index(fields=["at"], name="lookup_change_at_idx"),
        ]

    def __str__(self) -> str:
        return f"change {self.xid}-{self.seq} of registration {self.registration_id}"


class FeedFloor(models.Model):
    """The position up to which the change log has been pruned: a cursor below it has expired."""

    xid = models.BigIntegerField(default=0)
    seq = models.BigIntegerField(default=0)
    pruned_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"feed floor {self.xid}-{self.seq}"


class ExportFile(models.Model):
    """A full export, published as a file: what it holds and the feed position it is current to."""

    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    name = models.CharField(max_length=200, help_text="File name under CVAS_EXPORT_DIR.")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    count = models.BigIntegerField(help_text="Registrations (or, for cidr, prefixes) in the file.")
    cursor = models.CharField(max_length=64, help_text="The change-feed cursor it is current to.")
    generated_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-generated_at", "-pk"]
        indexes = [
            models.Index(fields=["format", "-generated_at"], name="lookup_export_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.format} export of {self.generated_at:%Y-%m-%d %H:%M}"
