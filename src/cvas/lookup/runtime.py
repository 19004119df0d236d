"""Each process's lookup index, kept in step with the database.

The index is built from the registry on first use. After that a background thread in each web
worker polls the change log every `CVAS_LOOKUP_POLL_SECONDS` (default 1 s) and applies the
current state of every registration changed since; a request that finds the last poll older
than `CVAS_LOOKUP_MAX_STALE_SECONDS` (default 5 s: the thread died, or is busy rebuilding) polls
itself before answering. So no worker answers from a state older than about one poll interval
plus the time to apply the changes, and never from one older than the stale limit while the
database answers. When the changes applied since the build outgrow `CVAS_LOOKUP_REBUILD_AFTER`
(default 5% of the base, at least 50,000), the thread rebuilds the base from the database and
swaps it in, the old one answering meanwhile. Without the thread (tests, commands) every use
polls when the interval has passed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db import close_old_connections, connection

from cvas.lookup import loader
from cvas.lookup.index import PrefixIndex

logger = logging.getLogger("cvas.lookup")


class LicenceInfo(NamedTuple):
    licence_id: int
    number: str | None
    holder_id: int
    holder: str
    status: str


@dataclass
class Snapshot:
    index: PrefixIndex
    poll: loader.PollState
    built_at: float
    polled_at: float
    licences: dict[int, LicenceInfo] = field(default_factory=dict)
    applied: int = 0  # changes applied since the build
    polled_wall: float = field(default_factory=time.time)  # wall clock of the last poll


def _licences() -> dict[int, LicenceInfo]:
    from cvas.licensing.models import Licence

    rows = Licence.objects.values_list("id", "number", "holder_id", "holder__name", "status")
    return {r[0]: LicenceInfo(*r) for r in rows}


def build_snapshot() -> Snapshot:
    """A new index from the registry: the poll position is read first, so that every change the
    load might miss is applied by the next poll (applying a current state twice is harmless)."""
    poll = loader.poll_state_now()
    index = PrefixIndex(loader.load_columns())
    now = time.monotonic()
    return Snapshot(index=index, poll=poll, built_at=now, polled_at=now, licences=_licences())


class Runtime:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._snap: Snapshot | None = None
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._rebuilding = False

    # -- configuration -------------------------------------------------------------------------
    @property
    def interval(self) -> float:
        return float(getattr(settings, "LOOKUP_POLL_SECONDS", 1.0))

    @property
    def max_stale(self) -> float:
        return float(getattr(settings, "LOOKUP_MAX_STALE_SECONDS", 5.0))

    @property
    def background(self) -> bool:
        return bool(getattr(settings, "LOOKUP_BACKGROUND", True))

    @property
    def catch_up_limit(self) -> float:
        """An index last polled longer ago than this is rebuilt, not caught up: half the time
        the change log is kept (CVAS_CHANGES_RETENTION_DAYS), well before its entries go."""
        days = float(getattr(settings, "LOOKUP_CHANGES_RETENTION_DAYS", 7))
        return days * 86400 / 2

    def rebuild_after(self, base: int) -> int:
        fixed = int(getattr(settings, "LOOKUP_REBUILD_AFTER", 0))
        return fixed if fixed > 0 else max(50_000, base // 20)

    # -- use -------------------------------------------------------------------------------------
    def snapshot(self, *, background: bool | None = None) -> Snapshot:
        """The current index and licences, polled first if they may be stale."""
        if os.getpid() != self._pid:  # forked: keep the (shared) index, restart the thread
            self._pid = os.getpid()
            self._lock = threading.RLock()
            self._thread = None
            self._stopping = threading.Event()
        snap = self._snap
        if snap is None:
            with self._lock:
                if self._snap is None:
                    self._snap = build_snapshot()
                snap = self._snap
        use_thread = self.background if background is None else background
        if use_thread:
            self._ensure_thread()
        thread = self._thread
        threaded = use_thread and thread is not None and thread.is_alive()
        age = time.monotonic() - snap.polled_at
        if (threaded and age > self.max_stale) or (not threaded and age >= self.interval):
            self.refresh()
        assert self._snap is not None
        return self._snap

    def index(self) -> PrefixIndex:
        return self.snapshot().index

    def refresh(self) -> int:
        """Apply every change committed since the last poll; returns how many registrations."""
        with self._lock:
            snap = self._snap
            if snap is None:
                self._snap = build_snapshot()
                return 0
            if time.time() - snap.polled_wall > self.catch_up_limit:
                # the change log may have been pruned past this index's position (a worker
                # forked from a long-running master, a machine asleep): start again
                self._snap = self._caught_up(build_snapshot())
                return len(self._snap.index.cols)
            applied = self._catch_up(snap)
            snap.licences = _licences()
            if (
                applied
                and not self.background
                and snap.applied > self.rebuild_after(len(snap.index.cols))
            ):
                self._snap = self._caught_up(build_snapshot())
            return applied

    def _catch_up(self, snap: Snapshot) -> int:
        state, ids = loader.changes_since(snap.poll)
        if ids:
            for reg_id, rec in loader.current_records(ids).items():
                snap.index.apply(reg_id, rec)
        snap.poll = state
        snap.polled_at = time.monotonic()
        snap.polled_wall = time.time()
        snap.applied += len(ids)
        return len(ids)

    def _caught_up(self, snap: Snapshot) -> Snapshot:
        self._catch_up(snap)
        snap.applied = 0
        return snap

    def rebuild(self) -> None:
        """Build a new base from the database and swap it in; the old one answers meanwhile."""
        fresh = build_snapshot()
        with self._lock:
            self._snap = self._caught_up(fresh)

    def reset(self) -> None:
        """Forget the index (tests; a process that changed databases)."""
        with self._lock:
            self._snap = None

    # -- the background thread -------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if (self._thread is not None and self._thread.is_alive()) or self._stopping.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="cvas-lookup-poller", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stopping.wait(self.interval):
                try:
                    close_old_connections()
                    self.refresh()
                    snap = self._snap
                    if snap is not None and snap.applied > self.rebuild_after(len(snap.index.cols)):
                        self.rebuild()
                except Exception:
                    logger.exception("lookup index: poll failed; retrying")
                finally:
                    if connection.vendor == "sqlite":
                        connection.close()
        finally:
            connection.close()  # the thread's own connection: no session left behind

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background thread, which closes its database connection (tests; a process
        shutting down). A later use with the background setting on starts a new one."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout)
        with self._lock:
            self._thread = None
            self._stopping.clear()


RUNTIME = Runtime()
