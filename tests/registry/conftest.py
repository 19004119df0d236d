"""Registry fixtures: an active licence for provider A (through the real workflow), CSV files."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cvas.licensing import services as lic
from cvas.licensing.models import Licence
from cvas.registry import services
from cvas.registry.models import ImportRun
from tests.conftest import principal

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture
def licence(world: dict[str, Any], complete_application: Any) -> Licence:
    app = complete_application()
    lic.application_submit(principal=principal(world["member_a"]), application=app)
    lic.application_take(principal=principal(world["officer"]), application=app)
    return lic.application_approve(
        principal=principal(world["officer"]), application=app, reason="ok"
    )


@pytest.fixture
def licence_b(world: dict[str, Any], complete_application: Any) -> Licence:
    app = complete_application(
        org=world["org_b"], user=world["member_b"], brands=[{"name": "Second VPN"}]
    )
    lic.application_submit(principal=principal(world["member_b"]), application=app)
    lic.application_take(principal=principal(world["officer"]), application=app)
    return lic.application_approve(
        principal=principal(world["officer"]), application=app, reason="ok"
    )


def csv_bytes(header: str, rows: list[str], *, crlf: bool = False, bom: bool = False) -> bytes:
    end = "\r\n" if crlf else "\n"
    text = end.join([header, *rows]) + end
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


@pytest.fixture
def run_import(world: dict[str, Any]) -> Callable[..., ImportRun]:
    """Import bytes as `user` (default: provider A's manager), in this process."""

    def run(
        licence: Licence,
        kind: str,
        data: bytes,
        *,
        replace: bool = False,
        user: Any = None,
    ) -> ImportRun:
        p = principal(user or world["member_a"])
        started = services.import_start(
            principal=p, licence=licence, kind=kind, replace=replace, name="test.csv"
        )
        return services.import_execute(run=started, stream=io.BytesIO(data))

    return run
