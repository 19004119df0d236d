"""Lookup fixtures: an index that polls on every use (no background thread), exports in a
temporary directory, and licensed providers with registrations made through the registry's
services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cvas.licensing import services as lic
from cvas.licensing.models import Licence
from cvas.lookup.runtime import RUNTIME
from cvas.registry import services as registry
from cvas.registry.models import EndpointRegistration
from tests.conftest import principal


@pytest.fixture(autouse=True)
def _fresh_index(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.LOOKUP_BACKGROUND = False
    settings.LOOKUP_POLL_SECONDS = 0
    settings.LOOKUP_EXPORT_DIR = tmp_path / "exports"
    RUNTIME.reset()
    yield
    RUNTIME.reset()


def _licence_for(
    world: dict[str, Any], complete_application: Any, org: str, user: str, brand: str
) -> Licence:
    app = complete_application(org=world[org], user=world[user], brands=[{"name": brand}])
    lic.application_submit(principal=principal(world[user]), application=app)
    lic.application_take(principal=principal(world["officer"]), application=app)
    return lic.application_approve(
        principal=principal(world["officer"]), application=app, reason="ok"
    )


@pytest.fixture
def licence(world: dict[str, Any], complete_application: Any) -> Licence:
    return _licence_for(world, complete_application, "org_a", "member_a", "Falcon Shield VPN")


@pytest.fixture
def licence_b(world: dict[str, Any], complete_application: Any) -> Licence:
    return _licence_for(world, complete_application, "org_b", "member_b", "Second VPN")


@pytest.fixture
def register(world: dict[str, Any]) -> Callable[..., EndpointRegistration]:
    """register(licence, ref, prefix, holder="Shalimar Textiles", individual=False, parent=None)"""

    def make(
        licence: Licence,
        ref: str,
        prefix: str,
        holder: str = "Shalimar Textiles",
        *,
        individual: bool = False,
        parent: str | None = None,
    ) -> EndpointRegistration:
        member = world["member_a"] if licence.holder_id == world["org_a"].pk else world["member_b"]
        data = {
            "ref": ref,
            "prefix": prefix,
            "holder_type": "individual" if individual else "organisation",
            "holder_name": holder,
        }
        if parent:
            data["delegated_from"] = parent
        reg, _ = registry.endpoint_save(principal=principal(member), licence=licence, data=data)
        return reg

    return make


def end(world: dict[str, Any], reg: EndpointRegistration) -> None:
    member = world["member_a"] if reg.registrant_id == world["org_a"].pk else world["member_b"]
    registry.endpoint_end(principal=principal(member), registration=reg, reason="test")
