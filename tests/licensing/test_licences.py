"""The licence's life: suspend, reinstate, revoke, surrender, renew, expire; numbers of the public record."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from cvas.core.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from cvas.licensing import selectors, services
from cvas.licensing.choices import LicenceStatus as L
from cvas.licensing.models import Licence
from tests.conftest import principal

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(world: dict[str, Any], complete_application: Any) -> Licence:
    app = complete_application()
    services.application_submit(principal=principal(world["member_a"]), application=app)
    services.application_take(principal=principal(world["officer"]), application=app)
    return services.application_approve(
        principal=principal(world["officer"]), application=app, reason="ok"
    )


def test_suspend_reinstate_revoke_each_recorded_with_reason_and_shown_by_verify(
    world: dict[str, Any], licence: Licence
) -> None:
    officer = principal(world["officer"])
    services.licence_suspend(principal=officer, licence=licence, reason="Late returns")
    v = selectors.verify_brand("falcon shield vpn")
    assert (v.licensed, v.status) == (False, "suspended")
    assert "suspended" in v.message
    services.licence_reinstate(principal=officer, licence=licence, reason="Returns filed")
    assert selectors.verify_domain("https://www.FalconShield.example/download").licensed
    services.licence_revoke(principal=officer, licence=licence, reason="Repeated breaches")
    v = selectors.verify_brand("Falcon Shield VPN")
    assert (v.licensed, v.status) == (False, "revoked")
    events = [(e.action, e.to_status, e.reason) for e in licence.events.all()]
    assert events == [
        ("issue", "active", "ok"),
        ("suspend", "suspended", "Late returns"),
        ("reinstate", "active", "Returns filed"),
        ("revoke", "revoked", "Repeated breaches"),
    ]


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([], "reinstate"),
        (["revoke"], "suspend"),
        (["revoke"], "reinstate"),
        (["revoke"], "revoke"),
        (["surrender"], "renew"),
        (["suspend"], "renew"),
        (["suspend"], "suspend"),
    ],
)
def test_illegal_licence_moves_are_refused(
    world: dict[str, Any], licence: Licence, setup: list[str], action: str
) -> None:
    officer = principal(world["officer"])
    fns = {
        "suspend": services.licence_suspend,
        "reinstate": services.licence_reinstate,
        "revoke": services.licence_revoke,
        "surrender": services.licence_surrender,
        "renew": services.licence_renew,
    }
    for step in setup:
        fns[step](principal=officer, licence=licence, reason="setup")
    licence.refresh_from_db()
    status, n_events = licence.status, licence.events.count()
    with pytest.raises(IllegalTransition):
        fns[action](principal=officer, licence=licence, reason="try")
    licence.refresh_from_db()
    assert (licence.status, licence.events.count()) == (status, n_events)


def test_renewal_opens_within_the_window_and_extends_by_the_regime_validity(
    world: dict[str, Any], licence: Licence
) -> None:
    officer = principal(world["officer"])
    with pytest.raises(IllegalTransition, match=r"Renewal .* opens on"):
        services.licence_renew(principal=officer, licence=licence, reason="early")
    Licence.objects.filter(pk=licence.pk).update(expires_on=dt.date.today() + dt.timedelta(days=30))
    licence.refresh_from_db()
    old = licence.expires_on
    renewed = services.licence_renew(principal=officer, licence=licence, reason="On time")
    assert renewed.expires_on == old.replace(year=old.year + 15)
    assert renewed.events.last().details["previous_expiry"] == old.isoformat()


def test_surrender_by_the_holders_manager_but_not_by_another_organisation(
    world: dict[str, Any], licence: Licence
) -> None:
    from cvas.core.errors import NotFound

    with pytest.raises(NotFound):
        services.licence_surrender(
            principal=principal(world["member_b"]), licence=licence, reason="not mine"
        )
    services.licence_surrender(
        principal=principal(world["member_a"]), licence=licence, reason="Closing the business"
    )
    licence.refresh_from_db()
    assert licence.status == L.SURRENDERED


def test_only_licensing_officers_suspend(world: dict[str, Any], licence: Licence) -> None:
    for who in ("member_a", "compliance", "admin", "auditor", "operator"):
        with pytest.raises(Forbidden):
            services.licence_suspend(principal=principal(world[who]), licence=licence, reason="x")


def test_tick_expires_licences_past_their_last_day_once(
    world: dict[str, Any], licence: Licence
) -> None:
    today = dt.date.today()
    Licence.objects.filter(pk=licence.pk).update(
        issued_on=today - dt.timedelta(days=400), expires_on=today - dt.timedelta(days=1)
    )
    out = StringIO()
    call_command("tick", stdout=out)
    assert "1 licence(s) expired" in out.getvalue()
    licence.refresh_from_db()
    assert licence.status == L.EXPIRED
    assert licence.events.last().actor_label.startswith("os:")
    out = StringIO()
    call_command("tick", stdout=out)
    assert "0 licence(s) expired" in out.getvalue()
    assert licence.events.filter(action="expire").count() == 1


def test_a_licence_on_its_last_day_is_not_expired(world: dict[str, Any], licence: Licence) -> None:
    from cvas.core.timeutil import pk_today

    Licence.objects.filter(pk=licence.pk).update(
        issued_on=pk_today() - dt.timedelta(days=400), expires_on=pk_today()
    )
    assert services.licences_expire_due(actor=principal(world["officer"]).actor) == []


def test_official_number_of_a_public_record_licence_is_recorded_once(world: dict[str, Any]) -> None:
    lic = Licence.objects.get(holder__name="Zettabyte Pvt Ltd")
    assert lic.number is None and lic.display_number == "not published"
    officer = principal(world["officer"])
    with pytest.raises(InvalidInput):
        services.licence_record_number(principal=officer, licence=lic, number="!!")
    services.licence_record_number(principal=officer, licence=lic, number="PTA/CVAS/2025/017")
    assert selectors.licence_get_by_number("PTA-CVAS-2025-017").holder.name == "Zettabyte Pvt Ltd"
    with pytest.raises(Conflict):
        services.licence_record_number(principal=officer, licence=lic, number="PTA/CVAS/2025/018")
    with pytest.raises(Forbidden):
        services.licence_record_number(
            principal=principal(world["member_a"]),
            licence=Licence.objects.get(holder__name="Vision Tech 360 Pvt Ltd"),
            number="X-123",
        )
