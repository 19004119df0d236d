"""The background thread of a web worker keeps its index in step with the database within the
documented interval, without any request polling for it (README, "Lookup": staleness)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection

from cvas.lookup import netkeys, selectors
from cvas.lookup.runtime import RUNTIME
from tests.lookup.conftest import end

pytestmark = pytest.mark.django_db


def _answer(address: str) -> str | None:
    """What the current index answers, read without polling."""
    snap = RUNTIME._snap
    assert snap is not None
    version, value = netkeys.address_or_error(address)
    rec = selectors.find(selectors.PUBLIC_VIEW, snap, version, value)
    return rec.prefix if rec is not None else None


def _within(seconds: float, address: str, expected: str | None) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if _answer(address) == expected:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{address}: still {_answer(address)!r} after {seconds} s")


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_reaches_the_index_within_the_poll_interval(
    settings: Any, licence: Any, register: Any, world: dict[str, Any]
) -> None:
    settings.LOOKUP_BACKGROUND = True
    settings.LOOKUP_POLL_SECONDS = 0.2
    settings.LOOKUP_MAX_STALE_SECONDS = 60  # no request polls for itself in this test
    RUNTIME.snapshot()  # the index, and its thread
    assert _answer("39.32.0.9") is None

    reg = register(licence, "gw", "39.32.0.0/24", "Provider A Pvt Ltd")  # committed at once
    assert _within(3.0, "39.32.0.9", "39.32.0.0/24") < 3.0
    end(world, reg)
    _within(3.0, "39.32.0.9", None)

    RUNTIME.stop()
    if connection.vendor == "postgresql":  # the thread left no session behind
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            assert cur.fetchone()[0] == 0


def test_an_index_too_old_to_catch_up_from_the_change_log_is_rebuilt(
    licence: Any, register: Any, world: dict[str, Any]
) -> None:
    """A worker forked from a master whose index was built long ago: the changes it missed may
    have been pruned from the change log, so it starts again from the registry."""
    reg = register(licence, "gw", "39.32.0.0/24", "Provider A Pvt Ltd")
    snap = RUNTIME.snapshot()
    assert _answer("39.32.0.9") == "39.32.0.0/24"
    end(world, reg)
    with connection.cursor() as cur:  # pruned, as `cvas tick` does after the retention period
        cur.execute("DELETE FROM lookup_registrationchange")
    snap.polled_wall -= RUNTIME.catch_up_limit + 60
    RUNTIME.refresh()
    assert RUNTIME._snap is not snap
    assert _answer("39.32.0.9") is None
