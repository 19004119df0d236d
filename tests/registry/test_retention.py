"""Retention: `cvas tick` erases an ended subscriber's personal data once its period has passed,
and keeps what the audit and the returns need."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from cvas.audit.models import AuditEvent
from cvas.core import pii, tick
from cvas.registry import retention, services
from cvas.registry.models import EndpointRegistration, Subscriber
from cvas.registry.selectors import endpoint_list, subscriber_list
from tests.conftest import SYSTEM, principal

pytestmark = pytest.mark.django_db

OLD_CNIC, KEPT_CNIC = "42101-1111111-1", "42101-2222222-2"
OLD_MSISDN = "+923451111111"


def subscriber(licence: Any, user: Any, ref: str, cnic: str, name: str) -> Subscriber:
    sub, _ = services.subscriber_save(
        principal=principal(user),
        licence=licence,
        data={
            "ref": ref,
            "subscriber_type": "individual",
            "category": "individual",
            "name": name,
            "cnic": cnic,
            "start_date": "2025-12-01",
        },
    )
    return sub


@pytest.fixture
def ended(licence: Any, world: dict[str, Any]) -> dict[str, Any]:
    member = world["member_a"]
    p = principal(member)
    gone = subscriber(licence, member, "S-OLD", OLD_CNIC, "Gul Bano")
    kept = subscriber(licence, member, "S-NEW", KEPT_CNIC, "Noor Jahan")
    active = subscriber(licence, member, "S-ACTIVE", "42101-3333333-3", "Sher Dil")
    phone, _ = services.endpoint_save(
        principal=p,
        licence=licence,
        data={
            "ref": "m-old",
            "msisdn": OLD_MSISDN,
            "holder_name": "Gul Bano",
            "holder_type": "individual",
            "subscriber_ref": "S-OLD",
        },
    )
    with time_machine.travel(dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC)):
        services.subscriber_end(principal=p, subscriber=gone, end_date=dt.date(2026, 1, 15))
        services.endpoint_end(principal=p, registration=phone)
    services.subscriber_end(principal=p, subscriber=kept, end_date=dt.date(2026, 10, 1))
    return {"gone": gone, "kept": kept, "active": active, "phone": phone}


def test_an_ended_subscriber_s_identity_number_name_and_mobile_are_erased_after_the_period(
    ended: dict[str, Any], world: dict[str, Any], settings: Any
) -> None:
    settings.CVAS_PERSONAL_DATA_RETENTION_DAYS = 365
    p = principal(world["member_a"])
    assert [s.ref for s in subscriber_list(p, cnic=OLD_CNIC)] == ["S-OLD"]

    result = retention.tick_purge_personal_data(actor=SYSTEM, today=dt.date(2027, 3, 1))
    assert "1 ended subscriber(s) and 1 ended registration(s) erased" in result.lines[0]

    gone = Subscriber.objects.get(pk=ended["gone"].pk)
    assert pii.decrypt(gone.identity_encrypted, purpose="identity.cnic") == ""
    assert pii.decrypt(gone.name_encrypted, purpose="person.name") == ""
    assert gone.identity_hmac == retention.PURGED and gone.name_hmac is None
    assert list(subscriber_list(p, cnic=OLD_CNIC)) == []
    assert list(subscriber_list(p, name="Gul Bano")) == []
    phone = EndpointRegistration.objects.get(pk=ended["phone"].pk)
    assert pii.decrypt(phone.msisdn_encrypted, purpose="msisdn") == ""
    assert list(endpoint_list(p, msisdn=OLD_MSISDN)) == []

    # what the audit and the returns need stays: the record, its ref, category, dates, history
    assert (gone.ref, gone.category, gone.start_date, gone.end_date, gone.status) == (
        "S-OLD",
        "individual",
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 15),
        "ended",
    )
    assert phone.handle and phone.status == "ended" and phone.events.exists()
    event = AuditEvent.objects.get(action="subscriber.personal_data_purge")
    assert event.after["ids"] == [gone.pk]
    assert AuditEvent.objects.filter(action="endpoint.personal_data_purge").count() == 1
    call_command("audit", "verify", verbosity=0)  # the chain is intact

    # ended within the period, or still active: untouched
    assert [s.ref for s in subscriber_list(p, cnic=KEPT_CNIC)] == ["S-NEW"]
    active = Subscriber.objects.get(pk=ended["active"].pk)
    assert pii.decrypt(active.identity_encrypted, purpose="identity.cnic") == "42101-3333333-3"


def test_the_purge_is_safe_to_repeat_and_waits_for_the_period(
    ended: dict[str, Any], settings: Any
) -> None:
    settings.CVAS_PERSONAL_DATA_RETENTION_DAYS = 730
    assert retention.purge(actor=SYSTEM, today=dt.date(2027, 3, 1)) == {
        "subscribers": 0,
        "endpoints": 0,
    }
    assert retention.purge(actor=SYSTEM, today=dt.date(2028, 6, 1)) == {
        "subscribers": 1,
        "endpoints": 1,
    }
    assert retention.purge(actor=SYSTEM, today=dt.date(2028, 6, 2)) == {
        "subscribers": 0,
        "endpoints": 0,
    }


def test_the_purge_is_a_step_of_cvas_tick_after_subscribers_are_ended() -> None:
    steps = tick.STEPS
    assert "cvas.registry.retention.tick_purge_personal_data" in steps
    assert steps.index("cvas.registry.retention.tick_purge_personal_data") > steps.index(
        "cvas.registry.services.tick_end_subscribers"
    )
