"""The public record (`cvas seed`) and the demo data (`cvas demo`): complete, separate, idempotent."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from cvas.accounts.models import Organisation, User
from cvas.audit.models import AuditEvent
from cvas.licensing.choices import ApplicationState, LicenceStatus
from cvas.licensing.models import Application, Brand, Licence, Regime
from cvas.licensing.selectors import regime_in_force

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _state() -> tuple[int, ...]:
    return (
        Regime.objects.count(),
        Organisation.objects.count(),
        Licence.objects.count(),
        Brand.objects.count(),
        Application.objects.count(),
        User.objects.count(),
        AuditEvent.objects.count(),
    )


def test_seed_loads_the_five_named_licensees_without_inventing_numbers_and_is_idempotent() -> None:
    assert "regimes changed 3" in _run("seed")
    first = _state()
    assert "nothing changed" in _run("seed")
    assert _state() == first
    licences = Licence.objects.filter(is_public_record=True).select_related("holder")
    assert {(lic.holder.name, lic.brands.get().name) for lic in licences} == {
        ("Alpha 3 Cubic Pvt Ltd", "Steer Lucid"),
        ("Zettabyte Pvt Ltd", "Crest VPN"),
        ("Nexilium Tech SMC-Pvt Ltd", "Kestrel VPN"),
        ("UKI Conic Solutions SMC-Pvt Ltd", "QuiXure VPN"),
        ("Vision Tech 360 Pvt Ltd", "Kryptonyme VPN"),
    }
    assert all(lic.number is None and lic.status == LicenceStatus.ACTIVE for lic in licences)
    assert not Licence.objects.filter(is_public_record=True, is_demo=True).exists()


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (dt.date(2024, 1, 1), None),
        (dt.date(2024, 3, 1), "ip-registration-2024"),
        (dt.date(2024, 11, 30), "ip-registration-2024"),
        (dt.date(2024, 12, 1), "cvas-data-2024"),
        (dt.date(2025, 3, 1), "cvas-data-2024"),
        (dt.date(2025, 11, 12), "cvas-data-2024"),
        (dt.date(2025, 11, 13), "cvas-data-2025"),
        (dt.date(2030, 1, 1), "cvas-data-2025"),
    ],
)
def test_the_regime_in_force_on_a_date(day: dt.date, code: str | None) -> None:
    _run("seed")
    regime = regime_in_force(day)
    assert (regime.code if regime else None) == code


def test_regimes_say_what_they_permit_and_which_values_are_assumptions() -> None:
    _run("seed")
    feb = Regime.objects.get(code="cvas-data-2024")
    nov = Regime.objects.get(code="cvas-data-2025")
    assert not feb.permits("individual") and feb.permits("bank")
    assert nov.permits("individual") and nov.permits("bank")
    assert feb.end_user_registration_required and not nov.end_user_registration_required
    assert nov.licence_validity_years == 15 and not nov.is_assumption("licence_validity_years")
    assert nov.is_assumption("fees")
    assert nov.name_ur and nov.conditions_ur and nov.sources


def test_overlapping_regimes_are_refused() -> None:
    from cvas.core.actors import Actor
    from cvas.core.errors import Conflict
    from cvas.licensing.services import regime_upsert

    _run("seed")
    with pytest.raises(Conflict, match="overlaps"):
        regime_upsert(
            actor=Actor.system(),
            code="clash",
            values={
                "name_en": "Clash",
                "effective_from": dt.date(2025, 1, 1),
                "effective_to": dt.date(2025, 2, 1),
            },
        )
    assert not Regime.objects.filter(code="clash").exists()


def test_demo_makes_every_state_through_the_workflow_marks_it_demo_and_is_idempotent() -> None:
    _run("seed")
    out = _run("demo")
    assert "licensing@demo.example" in out and "cvas-demo-2026" in out
    first = _state()
    assert "nothing changed" in _run("demo")
    assert _state() == first
    states = set(Application.objects.filter(is_demo=True).values_list("state", flat=True))
    assert states == set(ApplicationState.values)
    demo_licences = Licence.objects.filter(is_demo=True)
    assert {lic.status for lic in demo_licences} >= {
        LicenceStatus.ACTIVE,
        LicenceStatus.SUSPENDED,
        LicenceStatus.EXPIRED,
    }
    assert all(lic.number and lic.number.startswith("CVAS-DATA/") for lic in demo_licences)
    assert all(lic.holder.is_demo for lic in demo_licences)
    assert not Organisation.objects.filter(is_demo=True, is_public_record=True).exists()
    assert _run("audit", "verify").startswith("audit chain intact")


def test_demo_publishes_the_lookup_exports_the_demo_network_operator_can_download() -> None:
    from django.test import Client

    from cvas.accounts.models import User
    from cvas.lookup.models import ExportFile

    _run("seed")
    _run("demo")
    assert set(ExportFile.objects.values_list("format", flat=True)) == {
        "csv",
        "json",
        "cidr",
        "mmdb",
    }
    noc = Client()
    noc.force_login(User.objects.get(email="noc@demo.example"))
    cidr = noc.get("/api/v1/exports/cidr")
    assert cidr.status_code == 200
    body = b"".join(cidr.streaming_content).decode()  # type: ignore[attr-defined]
    # a demo licensee's gateway /24 and its customer block beside it, as one /23
    assert "14.1.104.0/23" in body.split()
