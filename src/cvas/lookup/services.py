"""Writes for lookup and distribution: publishing the full exports, pruning the change log, and
the `cvas tick` step that does both."""

# SQL here is built from this module's constants only; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cvas.audit.services import audit_record
from cvas.core.actors import Actor
from cvas.lookup import exports, feed
from cvas.lookup.choices import ExportFormat
from cvas.lookup.models import ExportFile, FeedFloor

KEEP_EXPORTS = 3  # per format: the newest files are kept, older ones deleted


def export_dir() -> Path:
    path = Path(getattr(settings, "LOOKUP_EXPORT_DIR", Path(settings.VAR_DIR) / "exports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_path(export: ExportFile) -> Path:
    return export_dir() / export.name


def publish_exports(*, actor: Actor, formats: list[str] | None = None) -> list[ExportFile]:
    """Produce the full exports from one read of the registry and publish them (newest first in
    `GET /api/v1/exports`); older files beyond the newest few are deleted."""
    wanted = [ExportFormat(f) for f in (formats or ExportFormat.values)]
    src = exports.Source.read()
    stamp = src.generated_at.strftime("%Y%m%dT%H%M%S%fZ")
    made: list[ExportFile] = []
    for fmt in wanted:
        name = f"cvas-endpoints-{stamp}.{exports.EXTENSIONS[fmt]}"
        path = export_dir() / name
        started = time.monotonic()
        count = exports.write(fmt, str(path), src)
        made.append(
            ExportFile.objects.create(
                format=fmt,
                name=name,
                sha256=exports.sha256_of(str(path)),
                size=path.stat().st_size,
                count=count,
                cursor=src.cursor,
                generated_at=src.generated_at,
                seconds=round(time.monotonic() - started, 3),
            )
        )
    audit_record(
        actor=actor,
        action="lookup.exports_published",
        obj="lookup.exportfile",
        after={
            "cursor": src.cursor,
            "files": [{"format": e.format, "sha256": e.sha256, "count": e.count} for e in made],
        },
    )
    _drop_old_exports(wanted)
    return made


def _drop_old_exports(formats: list[ExportFormat]) -> None:
    for fmt in formats:
        for old in ExportFile.objects.filter(format=fmt).order_by("-generated_at", "-pk")[
            KEEP_EXPORTS:
        ]:
            try:
                export_path(old).unlink(missing_ok=True)
            except OSError:
                continue
            old.delete()


def prune_changes(*, older_than: dt.datetime) -> int:
    """Delete change-log entries written before `older_than`, never past what the feed has
    handed out nor past the newest export's cursor (so that it can always be followed). A cursor
    below the new floor has expired."""
    latest = ExportFile.objects.filter(format__in=["json", "csv"]).order_by("-generated_at").first()
    cap = feed.Position.parse(latest.cursor) if latest else feed.START
    pg = connection.vendor == "postgresql"
    visible = f" AND {feed._settled('xid')}" if pg else ""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "SELECT xid, seq FROM lookup_registrationchange WHERE at < %s"
            f"{visible} AND (xid < %s OR (xid = %s AND seq <= %s)) "
            "ORDER BY xid DESC, seq DESC LIMIT 1",
            [older_than, cap.xid, cap.xid, cap.seq],
        )
        row = cur.fetchone()
        if row is None:
            return 0
        upto = feed.Position(int(row[0]), int(row[1]))
        cur.execute(
            "DELETE FROM lookup_registrationchange WHERE xid < %s OR (xid = %s AND seq <= %s)",
            [upto.xid, upto.xid, upto.seq],
        )
        deleted = int(cur.rowcount or 0)
        FeedFloor.objects.update_or_create(
            pk=1, defaults={"xid": upto.xid, "seq": upto.seq, "pruned_at": timezone.now()}
        )
    return deleted


def tick_publish_exports(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: publish the full exports, then prune the change log past its retention."""
    from cvas.core.tick import StepResult

    made = publish_exports(actor=actor)
    days = int(getattr(settings, "LOOKUP_CHANGES_RETENTION_DAYS", 7))
    pruned = prune_changes(older_than=timezone.now() - dt.timedelta(days=days))
    lines = [
        f"{e.format}: {e.count:,} in {e.name} (sha256 {e.sha256[:12]}…, cursor {e.cursor})"
        for e in made
    ]
    lines.append(f"change log: {pruned:,} entries older than {days} days pruned")
    return StepResult(name="lookup exports", lines=lines)
