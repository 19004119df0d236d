"""Retention: `cvas tick` erases an ended subscriber's personal data once its period has passed,
and keeps what the audit and the returns need; likewise a closed request of the legacy
IP-registration portal: its responsible person's name and CNIC, and the copy of that CNIC."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from cvas.audit.models import AuditEvent
from cvas.core import pii, tick
from cvas.registry import retention, services
from cvas.registry.models import EndpointRegistration, PortalDocument, PortalRequest, Subscriber
from cvas.registry.selectors import endpoint_list, subscriber_list
from tests.conftest import SYSTEM, api_key_for, bearer, pdf_upload, principal

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
    nothing = {"subscribers": 0, "endpoints": 0, "portal_requests": 0, "portal_documents": 0}
    assert retention.purge(actor=SYSTEM, today=dt.date(2027, 3, 1)) == nothing
    assert retention.purge(actor=SYSTEM, today=dt.date(2028, 6, 1)) == {
        **nothing,
        "subscribers": 1,
        "endpoints": 1,
    }
    assert retention.purge(actor=SYSTEM, today=dt.date(2028, 6, 2)) == nothing


def test_the_purge_is_a_step_of_cvas_tick_after_subscribers_are_ended() -> None:
    steps = tick.STEPS
    assert "cvas.registry.retention.tick_purge_personal_data" in steps
    assert steps.index("cvas.registry.retention.tick_purge_personal_data") > steps.index(
        "cvas.registry.services.tick_end_subscribers"
    )


# -- the legacy IP-registration portal --------------------------------------------------------------

DECIDED_AT = dt.datetime(2024, 6, 3, 9, tzinfo=dt.UTC)
RESPONSIBLE = [("Ayesha Khan", "35202-1234567-1"), ("Bilal Ahmed", "35202-7654321-3")]


def decided_request(world: dict[str, Any], n: int, address: str, approve: bool) -> PortalRequest:
    """A request of 2024 with its documents, confirmed by the ISP and decided on 3 June 2024."""
    member = principal(world["member_a"])
    name, cnic = RESPONSIBLE[n]
    with time_machine.travel(dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC)):
        req = services.portal_request_create(
            principal=member,
            applicant=world["org_a"],
            isp=world["isp"],
            responsible_name=name,
            responsible_cnic=cnic,
            addresses=[address],
        )
        for kind in ("business_proof", "responsible_cnic", "letter"):
            services.portal_document_add(
                principal=member,
                request=req,
                kind=kind,
                upload=pdf_upload(
                    f"CNIC {cnic}.pdf" if kind == "responsible_cnic" else f"{kind}.pdf",
                    PDF_OF[kind],
                ),
            )
        services.portal_request_submit(principal=member, request=req)
        for item in req.items.all():
            services.portal_item_verify(
                principal=principal(world["operator"]), item=item, verdict="confirmed"
            )
    with time_machine.travel(DECIDED_AT):
        return services.portal_request_decide(
            principal=principal(world["officer"]),
            request=req,
            approve=[i.pk for i in req.items.all()] if approve else [],
            reason="Confirmed by the provider" if approve else "Not needed by the applicant",
        )


PDF_OF = {
    kind: b"%PDF-1.4\n% " + kind.encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for kind in ("business_proof", "responsible_cnic", "letter")
}


def responsible(req: PortalRequest) -> tuple[str, str]:
    req.refresh_from_db()
    return (
        pii.decrypt(req.responsible_name_encrypted, purpose="person.name"),
        pii.decrypt(req.responsible_cnic_encrypted, purpose="identity.cnic"),
    )


def document(req: PortalRequest, kind: str) -> PortalDocument:
    return PortalDocument.objects.get(request=req, kind=kind)


def test_a_closed_portal_request_loses_its_responsible_person_and_cnic_copy_after_the_period(
    world: dict[str, Any], settings: Any, client: Any, client_for: Any
) -> None:
    settings.CVAS_PERSONAL_DATA_RETENTION_DAYS = 730
    rejected = decided_request(world, 0, "39.32.10.1", approve=False)
    registered = decided_request(world, 1, "39.32.10.2", approve=True)  # its address is active
    cnic_copy = document(rejected, "responsible_cnic")
    assert cnic_copy.original_name == f"CNIC {RESPONSIBLE[0][1]}.pdf"
    stored = Path(cnic_copy.file.path)
    assert stored.read_bytes() == PDF_OF["responsible_cnic"]
    decision = PortalRequest.objects.filter(pk=rejected.pk).values(
        "reference", "state", "decided_at", "decided_by_label", "decision_reason", "fee"
    )[0]

    # within the period: nothing goes
    assert retention.purge(actor=SYSTEM, today=dt.date(2026, 6, 3))["portal_requests"] == 0
    assert responsible(rejected) == RESPONSIBLE[0]

    result = retention.tick_purge_personal_data(actor=SYSTEM, today=dt.date(2026, 6, 4))
    assert result.lines[1] == (
        "1 closed portal request(s): responsible person's name and CNIC erased, "
        "1 CNIC copy(ies) deleted"
    )
    assert responsible(rejected) == ("", "")
    rejected.refresh_from_db()
    assert rejected.responsible_cnic_hmac == retention.PURGED
    cnic_copy.refresh_from_db()
    assert not stored.exists()  # the copy is gone from storage
    assert cnic_copy.file.name == "" and cnic_copy.original_name == ""
    assert cnic_copy.erased_at is not None
    assert (cnic_copy.kind, cnic_copy.size) == ("responsible_cnic", len(PDF_OF["responsible_cnic"]))
    # the other documents and the decision record stay
    for kind in ("business_proof", "letter"):
        kept = document(rejected, kind)
        assert Path(kept.file.path).read_bytes() == PDF_OF[kind] and kept.erased_at is None
    assert PortalRequest.objects.filter(pk=rejected.pk).values(*decision)[0] == decision
    assert rejected.items.get().registration.status == "rejected"
    event = AuditEvent.objects.get(action="portal.personal_data_purge")
    assert event.after["references"] == [rejected.reference]
    assert event.after["documents_deleted"] == [cnic_copy.pk]
    assert RESPONSIBLE[0][0] not in str(event.after) and RESPONSIBLE[0][1] not in str(event.after)
    call_command("audit", "verify", verbosity=0)

    # a request whose address is still registered keeps its responsible person and documents
    assert responsible(registered) == RESPONSIBLE[1]
    assert Path(document(registered, "responsible_cnic").file.path).exists()

    # the applicant sees the document's record, marked deleted, and no name for it
    _, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    body = client.get(f"/api/v1/portal/requests/{rejected.pk}", **bearer(token)).json()
    shown = {d["kind"]: d for d in body["documents"]}
    assert shown["responsible_cnic"]["erased_at"] is not None
    assert shown["responsible_cnic"]["name"] == ""
    assert shown["letter"]["erased_at"] is None and body["decision_reason"]
    page = client_for(world["member_a"]).get(f"/registry/portal/{rejected.pk}/").content.decode()
    assert "after the retention period" in page and RESPONSIBLE[0][1] not in page

    # again: nothing more to do
    assert retention.purge(actor=SYSTEM, today=dt.date(2026, 6, 5))["portal_requests"] == 0


def test_a_registered_address_s_request_waits_for_the_period_after_the_address_ends(
    world: dict[str, Any], settings: Any
) -> None:
    settings.CVAS_PERSONAL_DATA_RETENTION_DAYS = 730
    req = decided_request(world, 1, "39.32.10.2", approve=True)
    reg = req.items.get().registration
    assert retention.purge(actor=SYSTEM, today=dt.date(2027, 1, 1))["portal_requests"] == 0
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)):
        services.endpoint_end(principal=principal(world["member_a"]), registration=reg)
    # two years after the decision, but not after the address ended
    assert retention.purge(actor=SYSTEM, today=dt.date(2027, 2, 28))["portal_requests"] == 0
    assert responsible(req) == RESPONSIBLE[1]
    done = retention.purge(actor=SYSTEM, today=dt.date(2027, 3, 2))
    assert (done["portal_requests"], done["portal_documents"]) == (1, 1)
    assert responsible(req) == ("", "")
    assert not document(req, "responsible_cnic").file
