"""The legacy IP-registration portal: documents, the ISP's confirmation, staff decisions, fees from
the regime, and the portal's answer under a regime that needs no registration."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from cvas.accounts.choices import OrganisationKind
from cvas.registry import api as registry_api
from cvas.registry import services
from cvas.registry.choices import EndpointStatus, PortalState
from cvas.registry.models import EndpointRegistration, PortalRequest
from tests.conftest import api_key_for, bearer, pdf_upload, principal

IN_2024 = dt.date(2024, 6, 1)


@pytest.fixture
def in_2024(monkeypatch: Any) -> None:
    """The portal's own time: the 2024 regime that asked end users to register."""
    monkeypatch.setattr(services, "pk_today", lambda: IN_2024)
    monkeypatch.setattr(registry_api, "pk_today", lambda: IN_2024)


def _post(client: Any, url: str, token: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json", **bearer(token))


@pytest.mark.django_db
def test_the_isp_confirms_or_disputes_each_address_and_staff_decide_with_the_regimes_fee(
    world: dict[str, Any], client: Any, in_2024: None
) -> None:
    applicant = world["org_a"]
    _, app_token = api_key_for(world["member_a"], applicant, ["read", "write"])
    _, isp_token = api_key_for(world["operator"], world["isp"], ["read", "write"])
    addresses = [
        "39.32.10.1",
        "39.32.10.2",
        "39.32.10.3",
        "39.32.10.4",
        "39.32.10.5",
        "39.32.10.6",
        "0300-1234567",
    ]
    r = _post(
        client,
        "/api/v1/portal/requests",
        app_token,
        {
            "applicant_id": applicant.pk,
            "isp_id": world["isp"].pk,
            "responsible_name": "Ayesha Khan",
            "responsible_cnic": "35202-1234567-1",
            "addresses": addresses,
        },
    )
    assert r.status_code == 201, r.content
    req = r.json()
    assert req["reference"].startswith("IPR-2024-") and req["state"] == "draft"
    assert set(req["missing_documents"]) == {"business_proof", "responsible_cnic", "letter"}
    r = _post(client, f"/api/v1/portal/requests/{req['id']}/submit", app_token, {})
    assert r.status_code == 422 and "Certificate of incorporation" in r.json()["error"]["message"]
    for kind in ("business_proof", "responsible_cnic", "letter"):
        r = client.post(
            f"/api/v1/portal/requests/{req['id']}/documents",
            {"kind": kind, "file": pdf_upload()},
            **bearer(app_token),
        )
        assert r.status_code == 201, r.content
    assert (
        _post(client, f"/api/v1/portal/requests/{req['id']}/submit", app_token, {}).json()["state"]
        == "submitted"
    )

    # the ISP sees the request addressed to it; a member of another organisation does not
    assert client.get("/api/v1/portal/requests", **bearer(isp_token)).json()["count"] == 1
    _, other_token = api_key_for(world["member_b"], world["org_b"], ["read", "write"])
    assert (
        client.get(f"/api/v1/portal/requests/{req['id']}", **bearer(other_token)).status_code == 404
    )
    items = req["items"]
    # the applicant may not confirm its own addresses
    r = _post(
        client,
        f"/api/v1/portal/requests/{req['id']}/items/{items[0]['id']}/verify",
        app_token,
        {"verdict": "confirmed"},
    )
    assert r.status_code == 404
    for item in items[:-1]:
        r = _post(
            client,
            f"/api/v1/portal/requests/{req['id']}/items/{item['id']}/verify",
            isp_token,
            {"verdict": "confirmed"},
        )
        assert r.status_code == 200, r.content
    r = _post(
        client,
        f"/api/v1/portal/requests/{req['id']}/items/{items[-1]['id']}/verify",
        isp_token,
        {"verdict": "disputed"},
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "note"
    r = _post(
        client,
        f"/api/v1/portal/requests/{req['id']}/items/{items[-1]['id']}/verify",
        isp_token,
        {"verdict": "disputed", "note": "Not our subscriber's number"},
    )
    assert r.json()["state"] == "verified"

    _, staff_token = api_key_for(world["officer"], None, ["read", "write"])
    r = _post(
        client,
        f"/api/v1/portal/requests/{req['id']}/decide",
        staff_token,
        {"approve": [items[-1]["id"]], "reason": "checked"},
    )
    assert r.status_code == 422 and "disputed" in r.json()["error"]["message"]
    r = _post(
        client,
        f"/api/v1/portal/requests/{req['id']}/decide",
        staff_token,
        {"approve": [i["id"] for i in items[:-1]], "reason": "Confirmed by the ISP"},
    )
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["state"] == "decided"
    assert out["fee"]["total_pkr"] == 2 * 5000 and out["fee"]["free_addresses"] == 4
    assert [i["status"] for i in out["items"]] == ["active"] * 6 + ["rejected"]
    assert (
        EndpointRegistration.objects.filter(
            status=EndpointStatus.ACTIVE, holder_organisation=applicant
        ).count()
        == 6
    )


@pytest.mark.django_db
def test_a_software_house_must_also_show_its_export_board_certificate(
    world: dict[str, Any], make_org: Any, make_user: Any, in_2024: None
) -> None:
    user = make_user("owner@softhouse.test")
    org = make_org("Lahore Soft House", kind=OrganisationKind.SOFTWARE_HOUSE, managers=(user,))
    req = services.portal_request_create(
        principal=principal(user),
        applicant=org,
        isp=world["isp"],
        responsible_name="Bilal Ahmed",
        responsible_cnic="3520276543213",
        addresses=["39.32.10.9"],
    )
    for kind in ("business_proof", "responsible_cnic", "letter"):
        services.portal_document_add(
            principal=principal(user), request=req, kind=kind, upload=pdf_upload()
        )
    with pytest.raises(Exception, match="Software-export-board"):
        services.portal_request_submit(principal=principal(user), request=req)
    with pytest.raises(Exception, match="not a PDF"):
        services.portal_document_add(
            principal=principal(user),
            request=req,
            kind="seb_certificate",
            upload=pdf_upload(content=b"GIF89a"),
        )
    assert PortalRequest.objects.get(pk=req.pk).state == PortalState.DRAFT


@pytest.mark.django_db
def test_under_a_regime_without_end_user_registration_the_portal_says_so_and_points_to_providers(
    world: dict[str, Any], client: Any, licence: Any
) -> None:
    status = client.get("/api/v1/portal/status").json()
    assert status["registration_required"] is False
    assert "Reinstated CVAS-Data regime" in status["message"]
    assert "Falcon Shield VPN" in status["message"]  # a licensed provider's brand
    _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    r = _post(
        client,
        "/api/v1/portal/requests",
        token,
        {
            "applicant_id": world["org_a"].pk,
            "isp_id": world["isp"].pk,
            "responsible_name": "Ayesha Khan",
            "responsible_cnic": "35202-1234567-1",
            "addresses": ["39.32.10.1"],
        },
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "registration_not_required"
    assert "No registration is needed" in r.json()["error"]["message"]


@pytest.mark.django_db
def test_the_portal_pages_show_the_regimes_answer_and_let_the_isp_confirm(
    world: dict[str, Any], client: Any, client_for: Any, licence: Any, monkeypatch: Any
) -> None:
    page = client.get("/registry/portal/")
    assert page.status_code == 200 and "No registration is needed" in page.content.decode()
    monkeypatch.setattr(services, "pk_today", lambda: IN_2024)
    monkeypatch.setattr(registry_api, "pk_today", lambda: IN_2024)
    applicant = client_for(world["member_a"])
    r = applicant.post(
        "/registry/portal/",
        {
            "applicant": world["org_a"].pk,
            "isp": world["isp"].pk,
            "responsible_name": "Ayesha Khan",
            "responsible_cnic": "35202-1234567-1",
            "addresses": "39.32.10.1\n39.32.10.2",
        },
    )
    req = PortalRequest.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/registry/portal/{req.pk}/")
    for kind in ("business_proof", "responsible_cnic", "letter"):
        applicant.post(
            f"/registry/portal/{req.pk}/",
            {"action": "document", "kind": kind, "file": pdf_upload()},
        )
    applicant.post(f"/registry/portal/{req.pk}/", {"action": "submit"})
    assert PortalRequest.objects.get().state == PortalState.SUBMITTED
    isp = client_for(world["operator"])
    item = req.items.first()
    assert "Confirm" in isp.get(f"/registry/portal/{req.pk}/").content.decode()
    isp.post(f"/registry/portal/{req.pk}/", {"action": "confirmed", "item": item.pk})
    item.refresh_from_db()
    assert item.isp_verdict == "confirmed"
    outsider = client_for(world["member_b"])
    assert outsider.get(f"/registry/portal/{req.pk}/").status_code == 404


@pytest.mark.django_db
def test_an_urdu_portal_page_says_in_urdu_why_the_responsible_persons_cnic_is_refused(
    world: dict[str, Any], client_for: Any, licence: Any, in_2024: None
) -> None:
    english = "a CNIC has 13 digits, written #####-#######-#"
    with translation.override("ur"):
        urdu = translation.gettext(english)
    assert urdu != english  # the catalogue has it
    form = {
        "applicant": world["org_a"].pk,
        "isp": world["isp"].pk,
        "responsible_name": "Ayesha Khan",
        "responsible_cnic": "35202-12345",
        "addresses": "39.32.10.1",
    }
    page = client_for(world["member_a"]).post("/ur/registry/portal/", form)
    text = page.content.decode()
    assert page.status_code == 200
    assert f"responsible_cnic: {urdu}" in text
    assert english not in text
    assert not PortalRequest.objects.exists()
    # The same mistake on the English page is explained in English, word for word as before.
    page = client_for(world["member_a"]).post("/registry/portal/", form)
    assert f"responsible_cnic: {english}" in page.content.decode()
