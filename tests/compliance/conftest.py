"""Compliance fixtures: a frozen Pakistan clock, licences issued on a chosen day, and returns' figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from cvas.compliance import services
from cvas.core.timeutil import PAKISTAN
from cvas.licensing import services as licensing
from cvas.licensing.models import Licence
from tests.conftest import principal


@contextmanager
def on(day: dt.date, hour: int = 12) -> Iterator[None]:
    """Freeze the clock at `hour` o'clock, Pakistan time, on `day`."""
    with time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=PAKISTAN), tick=False):
        yield


def figures(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subscribers": {"it_company": 120, "bank": 4, "individual": 30},
        "new_subscriptions": 154,
        "ended_subscriptions": 0,
        "traffic_domestic_bytes": 9 * 10**12,
        "traffic_international_bytes": 3 * 10**12,
        "gateway_locations": ["Karachi (KHI-1)"],
        "incidents": [],
    }
    data.update(overrides)
    return data


def queued_mail(contains: str = "") -> list[dict[str, Any]]:
    """E-mails queued for the worker (subject, body, recipients), oldest first."""
    rows = DBTaskResult.objects.filter(task_path__endswith="send_notification").order_by(
        "enqueued_at", "id"
    )
    mails = [r.args_kwargs["kwargs"] for r in rows]
    return [m for m in mails if contains in m["subject"]]


@pytest.fixture
def issue_licence(world: dict[str, Any], complete_application: Any) -> Callable[..., Licence]:
    """A licence issued through the workflow on `day` (to org_a by default)."""

    def make(
        day: dt.date,
        *,
        org: str = "org_a",
        member: str = "member_a",
        brand: str = "Falcon Shield VPN",
    ) -> Licence:
        with on(day):
            app = complete_application(
                org=world[org],
                user=world[member],
                brands=[{"name": brand, "websites": [f"{brand.split()[0].lower()}.example"]}],
            )
            licensing.application_submit(principal=principal(world[member]), application=app)
            licensing.application_take(principal=principal(world["officer"]), application=app)
            return licensing.application_approve(
                principal=principal(world["officer"]), application=app, reason="ok"
            )

    return make


@pytest.fixture
def file_return(world: dict[str, Any]) -> Callable[..., Any]:
    def make(
        licence: Licence,
        start: dt.date,
        end: dt.date,
        *,
        day: dt.date,
        member: str = "member_a",
        **overrides: Any,
    ) -> Any:
        with on(day):
            return services.return_file(
                principal=principal(world[member]),
                licence=licence,
                period_start=start,
                period_end=end,
                data=figures(**overrides),
            )

    return make
