"""Whether the process running an import is still there (so that one killed part-way is not shown
as running forever).

An import is one transaction: a process killed part-way changes nothing. But its run was marked
"running" (committed) before the transaction began, and nobody is left to mark it finished. So a
run records who runs it, and whoever finds it "running" later can ask whether that process lives:

- On PostgreSQL the running process holds a session-level advisory lock keyed by the run's id
  (in this database) from before the run is marked running until after its outcome is saved. The server releases it
  when the session ends, however the process died, on any host. Lock held: still running (a
  killed client's transaction too, until the server has rolled it back). Not held: gone.
- On SQLite (one machine) the run records its host, process id and the process's start (boot id,
  process-id namespace and start time from /proc, so that a reused process id is not mistaken for
  it). Same machine and namespace: /proc answers. Elsewhere (or without /proc, or for a run from
  before this was recorded): the process cannot be asked, and the run is taken as interrupted
  once it has been running CVAS_IMPORT_STALE_HOURS.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from cvas.registry.models import ImportRun

logger = logging.getLogger("cvas.registry.imports")

LOCK_SPACE = 0x43564153  # "CVAS": the first key of running imports' advisory locks (int4)


class ImportInterrupted(Exception):
    """The process running an import stopped before it finished (recorded on its job)."""


def _lock_key(run: ImportRun) -> tuple[int, int]:
    return LOCK_SPACE, int(run.pk) % (1 << 31)


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _here() -> str:
    """This machine's boot and process-id namespace, or '' where /proc cannot tell."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot.strip()}/{namespace}" if boot else ""


def _started(pid: int) -> str | None:
    """A process's start time in clock ticks since boot; None when it is gone or a zombie."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    if fields[0] in ("Z", "X"):  # state: dead, waiting to be reaped
        return None
    return fields[19]  # field 22 of proc(5)


def claim(run: ImportRun) -> None:
    """Record this process on the run (and on PostgreSQL take its lock) before it is marked
    running; the caller saves the fields."""
    pid = os.getpid()
    here = _here()
    started = _started(pid) if here else None
    run.host = socket.gethostname()[:255]
    run.pid = pid
    run.process_start = f"{here}/{started}" if here and started else ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s::int4, %s::int4)", _lock_key(run))


def release(run: ImportRun) -> None:
    """Give the lock back (a lost session has already given it back)."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s::int4, %s::int4)", _lock_key(run))
    except DatabaseError:
        logger.warning("import %s: could not release its lock", run.pk, exc_info=True)


def _lock_held(run: ImportRun) -> bool:
    space, key = _lock_key(run)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 2",
            [space, key],
        )
        return cursor.fetchone() is not None


def is_running(run: ImportRun, *, now: dt.datetime | None = None) -> bool:
    """False once the process running `run` is known to be gone (or, where it cannot be asked,
    once the run has been running CVAS_IMPORT_STALE_HOURS)."""
    if connection.vendor == "postgresql":
        return _lock_held(run)
    here = _here()
    if run.pid and run.process_start and here and run.process_start.rsplit("/", 1)[0] == here:
        return run.process_start == f"{here}/{_started(run.pid)}"
    if run.pid and not run.process_start and not here and run.host == socket.gethostname():
        try:
            os.kill(run.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    since = run.started_at or run.created_at
    limit = dt.timedelta(hours=settings.CVAS_IMPORT_STALE_HOURS)
    return (now or timezone.now()) - since < limit
