"""Personal data at rest: encrypted (a canary CNIC and mobile number are nowhere in a dump of the
database), yet found by exact lookup; masked in the audit trail and in responses; keys rotate."""

from __future__ import annotations

import base64
import logging
import secrets
from typing import Any

import pytest
from django.db import connection

from cvas.audit.models import AuditEvent
from cvas.core import pii
from cvas.registry import services
from cvas.registry.models import EndpointRegistration, Subscriber
from cvas.registry.pii_rotation import rotate, status
from cvas.registry.selectors import subscriber_list
from tests.conftest import SYSTEM, api_key_for, bearer, principal
from tests.registry.conftest import csv_bytes

CANARY_CNIC = "42101-9988776-5"
CANARY_MSISDN = "+923459988776"
CANARY_NAME = "Zarghuna Qizilbash"
FORMS = [
    CANARY_CNIC,
    CANARY_CNIC.replace("-", ""),
    CANARY_MSISDN,
    CANARY_MSISDN[1:],
    "03459988776",
    "3459988776",
    CANARY_NAME,
    "Zarghuna",
]


def dump() -> bytes:
    """Every value of every table, as bytes: what someone with a copy of the database would see."""
    out = bytearray()
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cur.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        out += bytes(value) + b"\n"
                    else:
                        out += str(value).encode() + b"\n"
    return bytes(out)


def _load_canaries(licence: Any, world: dict[str, Any], run_import: Any) -> None:
    p = principal(world["member_a"])
    services.subscriber_save(
        principal=p,
        licence=licence,
        data={
            "ref": "S-1",
            "subscriber_type": "individual",
            "category": "individual",
            "name": CANARY_NAME,
            "cnic": CANARY_CNIC,
            "start_date": "2025-12-01",
        },
    )
    services.endpoint_save(
        principal=p,
        licence=licence,
        data={
            "ref": "m-1",
            "msisdn": CANARY_MSISDN,
            "holder_name": CANARY_NAME,
            "holder_type": "individual",
            "subscriber_ref": "S-1",
        },
    )
    run = run_import(
        licence,
        "subscribers",
        csv_bytes(
            "ref,subscriber_type,category,name,cnic,start_date",
            [
                "S-2,individual,individual,Zarghuna Qizilbash,4210199887765,2025-12-01",
                "S-3,individual,individual,Bad Cnic Person,4210199887,2025-12-01",
            ],
        ),
    )
    assert run.error_count == 1 and "4210199887" not in str(run.errors)


@pytest.mark.django_db
def test_canary_cnic_mobile_and_name_are_not_in_a_dump_yet_are_found_by_exact_lookup(
    licence: Any, world: dict[str, Any], run_import: Any, client: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    _load_canaries(licence, world, run_import)
    raw = dump()
    for form in FORMS:
        assert form.encode() not in raw, form
    for event in AuditEvent.objects.filter(object_type__startswith="registry"):
        for form in FORMS:
            assert form not in str(event.before) + str(event.after) + event.object_repr
    p = principal(world["member_a"])
    assert [s.ref for s in subscriber_list(p, cnic="42101 9988776 5".replace(" ", "-"))] == ["S-1"]
    assert [s.ref for s in subscriber_list(p, name="  zarghuna   QIZILBASH ")] == ["S-1"]
    _, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    r = client.post(
        "/api/v1/subscribers/lookup",
        {"cnic": "4210199887765"},
        content_type="application/json",
        **bearer(token),
    )
    body = r.content.decode()
    assert [i["ref"] for i in r.json()["items"]] == ["S-1"]
    assert r.json()["items"][0]["identity_masked"] == "*****-*******-5"
    r2 = client.post(
        "/api/v1/endpoints/lookup",
        {"msisdn": "0345-9988776"},
        content_type="application/json",
        **bearer(token),
    )
    assert [i["ref"] for i in r2.json()["items"]] == ["m-1"]
    body += r2.content.decode()
    for form in FORMS:
        assert form not in body
        assert form not in caplog.text


@pytest.mark.django_db
def test_after_a_key_rotation_old_rows_still_read_and_the_command_reencrypts_them(
    licence: Any, world: dict[str, Any], run_import: Any, settings: Any
) -> None:
    _load_canaries(licence, world, run_import)
    old = settings.PII_ENCRYPTION_KEY
    new = secrets.token_bytes(32)
    settings.PII_ENCRYPTION_KEY = new
    settings.PII_ENCRYPTION_OLD_KEYS = [old]
    sub = Subscriber.objects.get(ref="S-1")
    assert pii.decrypt(sub.identity_encrypted, purpose="identity.cnic") == CANARY_CNIC
    assert not pii.is_current(sub.identity_encrypted)
    assert status()["registry.subscriber.identity_encrypted"] == 1
    done = rotate(actor=SYSTEM)
    assert done["registry.subscriber.identity_encrypted"] == 1
    assert done["registry.endpointregistration.msisdn_encrypted"] == 1
    settings.PII_ENCRYPTION_OLD_KEYS = []
    reg = EndpointRegistration.objects.get(ref="m-1")
    assert pii.decrypt(reg.msisdn_encrypted, purpose="msisdn") == CANARY_MSISDN
    assert set(status().values()) == {0}
    assert AuditEvent.objects.filter(action="pii.rotate").exists()
    # without the old key, a row it wrote cannot be read: the key never lived in the database
    settings.PII_ENCRYPTION_KEY = old
    with pytest.raises(pii.PiiError):
        pii.decrypt(reg.msisdn_encrypted, purpose="msisdn")
    assert base64.b64encode(new).decode() not in dump().decode(errors="replace")


def test_a_ciphertext_is_bound_to_its_purpose_and_to_its_content() -> None:
    blob = pii.encrypt("35202-1234567-1", purpose="identity.cnic")
    with pytest.raises(pii.PiiError):
        pii.decrypt(blob, purpose="msisdn")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(pii.PiiError):
        pii.decrypt(tampered, purpose="identity.cnic")
    assert pii.encrypt("x", purpose="p") != pii.encrypt("x", purpose="p")  # random nonces
