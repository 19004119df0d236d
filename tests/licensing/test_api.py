"""The HTTP API under /api/v1/: the public register, verification, regimes, the application journey,
licence actions, and the one error shape for every refusal."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings

from cvas.accounts.models import Organisation
from cvas.audit.models import AuditEvent
from cvas.core.timeutil import pk_today
from cvas.licensing import services
from cvas.licensing.choices import ApplicationState as S
from cvas.licensing.choices import LicenceStatus
from cvas.licensing.models import Application, ApplicationDocument, Licence, Regime
from tests.conftest import COMPLETE, PDF, pdf_upload, principal

pytestmark = pytest.mark.django_db

API = "/api/v1"
NUMBER_RE = re.compile(r"^CVAS-DATA/\d{4}/\d{4}$")
PUBLIC_LICENSEES = {
    "Alpha 3 Cubic Pvt Ltd": ["Steer Lucid"],
    "Zettabyte Pvt Ltd": ["Crest VPN"],
    "Nexilium Tech SMC-Pvt Ltd": ["Kestrel VPN"],
    "UKI Conic Solutions SMC-Pvt Ltd": ["QuiXure VPN"],
    "Vision Tech 360 Pvt Ltd": ["Kryptonyme VPN"],
}


# -- helpers -------------------------------------------------------------------------------------


def post(client: Client, url: str, data: Any = None, **extra: Any) -> Any:
    return client.post(
        url, data=json.dumps({} if data is None else data), content_type="application/json", **extra
    )


def patch(client: Client, url: str, data: Any, **extra: Any) -> Any:
    return client.patch(url, data=json.dumps(data), content_type="application/json", **extra)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's one error shape, with the given status (and code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["details"], list)
    if code is not None:
        assert error["code"] == code, error
    return error


def fields_named(error: dict[str, Any]) -> set[str]:
    return {d.get("field") for d in error["details"]}


def public_licence(holder: str) -> Licence:
    return Licence.objects.get(holder__name=holder, is_public_record=True)


@pytest.fixture
def anon() -> Client:
    return Client()


@pytest.fixture
def applicant(world: dict[str, Any], client_for: Any) -> Client:
    return client_for(world["member_a"])


@pytest.fixture
def officer(world: dict[str, Any], client_for: Any) -> Client:
    return client_for(world["officer"])


@pytest.fixture
def under_review(world: dict[str, Any], complete_application: Any) -> Application:
    app = complete_application()
    services.application_submit(principal=principal(world["member_a"]), application=app)
    services.application_take(principal=principal(world["officer"]), application=app)
    return app


@pytest.fixture
def licence(world: dict[str, Any], under_review: Application) -> Licence:
    """A licence issued by the system's own workflow to Provider A (brand Falcon Shield VPN)."""
    return services.application_approve(
        principal=principal(world["officer"]),
        application=under_review,
        reason="Meets all conditions.",
    )


# -- the public register -------------------------------------------------------------------------


def test_register_search_for_crest_finds_zettabyte_crest_vpn_without_an_invented_number(
    seeded: Any, anon: Client
) -> None:
    response = anon.get(f"{API}/register/licences", {"q": "crest"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["items"]
    assert item["holder"] == "Zettabyte Pvt Ltd"
    assert item["brands"] == ["Crest VPN"]
    assert item["number"] is None
    assert item["status"] == "active"
    assert item["issued_on"] == "2025-11-13"
    assert item["expires_on"] == "2040-11-13"
    assert item["regime"] == Regime.objects.get(code="cvas-data-2025").name_en


def test_register_lists_the_five_named_licensees_all_without_published_numbers(
    seeded: Any, anon: Client
) -> None:
    body = anon.get(f"{API}/register/licences").json()
    assert body["count"] == 5
    assert {i["holder"]: i["brands"] for i in body["items"]} == PUBLIC_LICENSEES
    assert all(i["number"] is None for i in body["items"])


@pytest.mark.parametrize(
    ("q", "holder"),
    [
        ("CREST", "Zettabyte Pvt Ltd"),
        (
            "kestrel-vpn",
            "Nexilium Tech SMC-Pvt Ltd",
        ),  # brand names compare without case or punctuation
        ("quixurevpn", "UKI Conic Solutions SMC-Pvt Ltd"),
        ("zettabyte", "Zettabyte Pvt Ltd"),  # the holder's name is searched too
        ("Vision Tech", "Vision Tech 360 Pvt Ltd"),
    ],
)
def test_register_search_matches_brand_or_holder_ignoring_case_and_punctuation(
    seeded: Any, anon: Client, q: str, holder: str
) -> None:
    body = anon.get(f"{API}/register/licences", {"q": q}).json()
    assert [i["holder"] for i in body["items"]] == [holder]
    assert body["count"] == 1


def test_register_search_without_a_match_is_an_empty_page_not_an_error(
    seeded: Any, anon: Client
) -> None:
    response = anon.get(f"{API}/register/licences", {"q": "no such provider"})
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["count"] == 0


def test_register_filters_by_status(world: dict[str, Any], anon: Client) -> None:
    services.licence_suspend(
        principal=principal(world["officer"]),
        licence=public_licence("Zettabyte Pvt Ltd"),
        reason="Late returns",
    )
    suspended = anon.get(f"{API}/register/licences", {"status": "suspended"}).json()
    active = anon.get(f"{API}/register/licences", {"status": "active"}).json()
    assert [i["holder"] for i in suspended["items"]] == ["Zettabyte Pvt Ltd"]
    assert suspended["items"][0]["status"] == "suspended"
    assert active["count"] == 4
    assert "Zettabyte Pvt Ltd" not in {i["holder"] for i in active["items"]}


def test_register_filters_by_regime_code(seeded: Any, anon: Client) -> None:
    assert anon.get(f"{API}/register/licences", {"regime": "cvas-data-2025"}).json()["count"] == 5
    assert (
        anon.get(f"{API}/register/licences", {"regime": "ip-registration-2024"}).json()["count"]
        == 0
    )


def test_register_sorts_by_holder_either_way(seeded: Any, anon: Client) -> None:
    ascending = [
        i["holder"]
        for i in anon.get(f"{API}/register/licences", {"sort": "holder"}).json()["items"]
    ]
    descending = [
        i["holder"]
        for i in anon.get(f"{API}/register/licences", {"sort": "-holder"}).json()["items"]
    ]
    assert ascending == sorted(PUBLIC_LICENSEES)
    assert descending == list(reversed(ascending))


def test_register_sorts_by_issue_date_newest_first(licence: Licence, anon: Client) -> None:
    items = anon.get(f"{API}/register/licences", {"sort": "-issued"}).json()["items"]
    assert items[0]["number"] == licence.number
    assert [i["issued_on"] for i in items] == sorted((i["issued_on"] for i in items), reverse=True)


def test_register_pages_with_limit_and_offset_cover_every_licence_once(
    seeded: Any, anon: Client
) -> None:
    pages = [
        anon.get(f"{API}/register/licences", {"limit": 2, "offset": off}).json()
        for off in (0, 2, 4)
    ]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert all(p["count"] == 5 for p in pages)
    assert [(p["limit"], p["offset"]) for p in pages] == [(2, 0), (2, 2), (2, 4)]
    holders = [i["holder"] for p in pages for i in p["items"]]
    assert holders == sorted(PUBLIC_LICENSEES)
    beyond = anon.get(f"{API}/register/licences", {"offset": 5}).json()
    assert (beyond["items"], beyond["count"]) == ([], 5)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "dormant"}, "status"),
        ({"sort": "colour"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"offset": 10**30}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"limit": 10**30}, "limit"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_register_refuses_bad_query_parameters_with_422_naming_the_parameter(
    seeded: Any, anon: Client, params: dict[str, Any], field: str
) -> None:
    error = assert_error(anon.get(f"{API}/register/licences", params), 422, "validation_error")
    assert field in fields_named(error)


def test_register_detail_takes_the_number_with_dashes_for_slashes(
    licence: Licence, anon: Client
) -> None:
    assert licence.number is not None
    slug = licence.number.replace("/", "-")
    response = anon.get(f"{API}/register/licences/{slug}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == licence.number
    assert NUMBER_RE.match(body["number"])
    assert body["holder"] == "Provider A Pvt Ltd"
    assert body["brands"] == ["Falcon Shield VPN"]
    assert body["brand_details"] == [
        {"name": "Falcon Shield VPN", "websites": ["falconshield.example"]}
    ]
    assert body["status"] == "active"
    assert [(e["action"], e["to_status"], e["reason"]) for e in body["history"]] == [
        ("issue", "active", "Meets all conditions.")
    ]
    assert anon.get(f"{API}/register/licences/{slug.lower()}").json()["number"] == licence.number


def test_register_detail_of_an_unknown_number_is_a_json_404(seeded: Any, anon: Client) -> None:
    error = assert_error(anon.get(f"{API}/register/licences/CVAS-DATA-2025-9999"), 404, "not_found")
    assert "CVAS-DATA-2025-9999" in error["message"]


# -- verification ----------------------------------------------------------------------------------


@pytest.mark.parametrize("brand", ["Crest VPN", "crest vpn", "CREST-VPN", "  Crest   VPN "])
def test_verify_brand_of_a_named_licensee_says_licensed_by_its_holder(
    seeded: Any, anon: Client, brand: str
) -> None:
    response = anon.get(f"{API}/verify", {"brand": brand})
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["licensed"], body["status"], body["matched"]) == (
        "brand",
        True,
        "active",
        "Crest VPN",
    )
    assert body["licence"]["holder"] == "Zettabyte Pvt Ltd"
    assert body["licence"]["number"] is None
    assert "number not published" in body["message"]


@pytest.mark.parametrize(("action", "status"), [("suspend", "suspended"), ("revoke", "revoked")])
def test_verify_brand_of_a_suspended_or_revoked_licence_says_not_licensed_and_why(
    world: dict[str, Any], anon: Client, action: str, status: str
) -> None:
    act = {"suspend": services.licence_suspend, "revoke": services.licence_revoke}[action]
    act(
        principal=principal(world["officer"]),
        licence=public_licence("Zettabyte Pvt Ltd"),
        reason="Breach of conditions",
    )
    body = anon.get(f"{API}/verify", {"brand": "Crest VPN"}).json()
    assert body["licensed"] is False
    assert body["status"] == status
    assert body["licence"]["status"] == status
    assert body["licence"]["holder"] == "Zettabyte Pvt Ltd"
    assert status in body["message"] and "NOT" in body["message"]


def test_verify_unknown_brand_says_not_licensed(seeded: Any, anon: Client) -> None:
    body = anon.get(f"{API}/verify", {"brand": "Shadow Tunnel VPN"}).json()
    assert (body["licensed"], body["status"], body["licence"], body["matched"]) == (
        False,
        "not_licensed",
        None,
        None,
    )
    assert "not on the register" in body["message"]


@pytest.mark.parametrize(
    "domain",
    [
        "falconshield.example",
        "https://www.FalconShield.example/download?x=1",
        "eu.gw.falconshield.example",
    ],
)
def test_verify_domain_of_a_licensed_brand_names_the_licence(
    licence: Licence, anon: Client, domain: str
) -> None:
    body = anon.get(f"{API}/verify", {"domain": domain}).json()
    assert (body["kind"], body["licensed"], body["status"]) == ("domain", True, "active")
    assert body["licence"]["number"] == licence.number
    assert body["matched"] == "Falcon Shield VPN (falconshield.example)"


def test_verify_domain_after_suspension_and_revocation_follows_the_licence(
    world: dict[str, Any], licence: Licence, anon: Client
) -> None:
    officer = principal(world["officer"])
    services.licence_suspend(principal=officer, licence=licence, reason="Late returns")
    assert (
        anon.get(f"{API}/verify", {"domain": "falconshield.example"}).json()["status"]
        == "suspended"
    )
    services.licence_revoke(principal=officer, licence=licence, reason="Repeated breaches")
    body = anon.get(f"{API}/verify", {"domain": "falconshield.example"}).json()
    assert (body["licensed"], body["status"]) == (False, "revoked")


def test_verify_unknown_domain_says_not_licensed(licence: Licence, anon: Client) -> None:
    body = anon.get(f"{API}/verify", {"domain": "falconshield.example.evil.test"}).json()
    assert (body["licensed"], body["status"], body["licence"]) == (False, "not_licensed", None)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "brand|domain"),
        ({"brand": "Crest VPN", "domain": "crestvpn.pk"}, "brand|domain"),
        ({"brand": ""}, "brand"),
        ({"brand": "---"}, "brand"),
        ({"domain": ""}, "domain"),
        ({"domain": "not a domain"}, "domain"),
        ({"domain": "http://[::1"}, "domain"),
        ({"domain": "192.168.1.1"}, "domain"),
        ({"brand": "x" * 201}, "brand"),
    ],
)
def test_verify_needs_exactly_one_meaningful_parameter(
    seeded: Any, anon: Client, params: dict[str, str], field: str
) -> None:
    error = assert_error(anon.get(f"{API}/verify", params), 422, "validation_error")
    assert field in fields_named(error)


# -- regimes -------------------------------------------------------------------------------------


def test_regimes_are_the_policy_timeline_in_order_with_their_assumptions(
    seeded: Any, anon: Client
) -> None:
    response = anon.get(f"{API}/regimes")
    assert response.status_code == 200
    regimes = response.json()
    assert [r["code"] for r in regimes] == [
        "ip-registration-2024",
        "cvas-data-2024",
        "cvas-data-2025",
    ]
    by_code = {r["code"]: r for r in regimes}
    current = by_code["cvas-data-2025"]
    assert current["effective_from"] == "2025-11-13"
    assert current["effective_to"] is None
    assert current["licensing_open"] is True
    assert current["licence_validity_years"] == 15
    assert "individual" in current["permitted_categories"]
    assert current["end_user_registration_required"] is False
    assert current["name_ur"] and current["conditions"] and current["sources"]
    assert "individual" not in by_code["cvas-data-2024"]["permitted_categories"]
    assert by_code["cvas-data-2024"]["effective_to"] == "2025-11-12"
    assert by_code["ip-registration-2024"]["licensing_open"] is False
    assert all(isinstance(r["assumptions"], list) for r in regimes)
    assert "fees" in by_code["cvas-data-2024"]["assumptions"]


# -- the application journey through the API -------------------------------------------------


def test_application_journey_from_draft_to_a_licence_on_the_public_register(
    world: dict[str, Any], applicant: Client, officer: Client, anon: Client
) -> None:
    created = post(
        applicant,
        f"{API}/applications",
        {
            "organisation_id": world["org_a"].pk,
            "service_description": COMPLETE["service_description"],
        },
    )
    assert created.status_code == 201, created.content
    app = created.json()
    app_url = f"{API}/applications/{app['id']}"
    assert app["state"] == "draft"
    assert app["organisation"] == "Provider A Pvt Ltd"
    assert re.match(r"^APP-\d{4}-\d{6}$", app["reference"])
    assert {
        "brands",
        "gateway_prefixes",
        "fee_payment_reference",
        "documents.incorporation_certificate",
    } <= {m["field"] for m in app["missing"]}

    edited = patch(
        applicant,
        app_url,
        {
            "brands": COMPLETE["brands"],
            "gateway_prefixes": ["39.32.0.0/24", "2400:ca00::/48", "39.32.0.0/24"],
            "declarations": COMPLETE["declarations"],
            "fee_payment_reference": COMPLETE["fee_payment_reference"],
        },
    )
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert body["gateway_prefixes"] == [
        "39.32.0.0/24",
        "2400:ca00::/48",
    ]  # cleaned and de-duplicated
    assert body["brands"] == [
        {"name": "Falcon Shield VPN", "websites": ["falconshield.example"], "app_identifiers": []}
    ]
    assert {m["field"] for m in body["missing"]} == {
        "documents.incorporation_certificate",
        "documents.security_policy",
    }

    refused = applicant.post(
        f"{app_url}/documents",
        {"kind": "security_policy", "file": pdf_upload("policy.pdf", b"PK\x03\x04 a zip")},
    )
    assert "file" in fields_named(assert_error(refused, 422, "validation_error"))
    doc_ids = []
    for kind in ("incorporation_certificate", "security_policy"):
        uploaded = applicant.post(
            f"{app_url}/documents", {"kind": kind, "file": pdf_upload(f"{kind}.pdf")}
        )
        assert uploaded.status_code == 201, uploaded.content
        assert uploaded.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert uploaded.json()["size"] == len(PDF)
        doc_ids.append(uploaded.json()["id"])
    current = applicant.get(app_url).json()
    assert sorted(d["kind"] for d in current["documents"]) == [
        "incorporation_certificate",
        "security_policy",
    ]
    assert current["missing"] == []

    download = applicant.get(f"{app_url}/documents/{doc_ids[0]}")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF

    submitted = post(applicant, f"{app_url}/submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["regime"] == Regime.objects.get(code="cvas-data-2025").name_en

    queue = officer.get(f"{API}/review/queue").json()
    assert [i["id"] for i in queue["items"]] == [app["id"]]

    taken = post(officer, f"{app_url}/take")
    assert (taken.status_code, taken.json()["state"]) == (200, "under_review")
    assert taken.json()["assigned_to"] == "officer@regulator.test"

    asked = post(
        officer, f"{app_url}/request-information", {"reason": "Where are the gateways hosted?"}
    )
    assert (asked.status_code, asked.json()["state"]) == (200, "information_requested")
    assert asked.json()["history"][-1]["reason"] == "Where are the gateways hosted?"

    # While information is requested the applicant may edit, then answers and resubmits.
    assert (
        patch(
            applicant,
            app_url,
            {"service_description": COMPLETE["service_description"] + " Hosted in Karachi."},
        ).status_code
        == 200
    )
    answered = post(
        applicant, f"{app_url}/respond", {"response": "Karachi and Lahore data centres."}
    )
    assert (answered.status_code, answered.json()["state"]) == (200, "resubmitted")

    assert post(officer, f"{app_url}/take").json()["state"] == "under_review"
    approved = post(officer, f"{app_url}/approve", {"reason": "Meets all conditions."})
    assert approved.status_code == 201, approved.content
    issued = approved.json()
    assert NUMBER_RE.match(issued["number"])
    assert (issued["holder"], issued["brands"], issued["status"]) == (
        "Provider A Pvt Ltd",
        ["Falcon Shield VPN"],
        "active",
    )
    assert issued["regime_code"] == "cvas-data-2025"
    assert dt.date.fromisoformat(issued["issued_on"]) == pk_today()
    assert dt.date.fromisoformat(issued["expires_on"]).year == pk_today().year + 15

    final = applicant.get(app_url).json()
    assert final["state"] == "approved"
    assert final["licence_number"] == issued["number"]
    assert final["decision_reason"] == "Meets all conditions."
    assert [h["to_state"] for h in final["history"]] == [
        "draft",
        "submitted",
        "under_review",
        "information_requested",
        "resubmitted",
        "under_review",
        "approved",
    ]

    register = anon.get(f"{API}/register/licences", {"q": "falcon"}).json()
    assert [(i["number"], i["holder"], i["brands"]) for i in register["items"]] == [
        (issued["number"], "Provider A Pvt Ltd", ["Falcon Shield VPN"])
    ]
    assert anon.get(f"{API}/register/licences").json()["count"] == 6
    detail = anon.get(f"{API}/register/licences/{issued['number'].replace('/', '-')}")
    assert detail.status_code == 200
    assert (
        anon.get(f"{API}/verify", {"brand": "Falcon Shield VPN"}).json()["licence"]["number"]
        == issued["number"]
    )


def test_submitting_an_incomplete_application_is_422_naming_what_is_missing(
    world: dict[str, Any], applicant: Client
) -> None:
    app = post(applicant, f"{API}/applications", {"organisation_id": world["org_a"].pk}).json()
    error = assert_error(
        post(applicant, f"{API}/applications/{app['id']}/submit"), 422, "incomplete_application"
    )
    assert {
        "service_description",
        "brands",
        "gateway_prefixes",
        "fee_payment_reference",
        "documents.security_policy",
    } <= fields_named(error)
    assert applicant.get(f"{API}/applications/{app['id']}").json()["state"] == "draft"


def test_submitting_with_another_providers_brand_is_409(
    world: dict[str, Any], complete_application: Any, applicant: Client
) -> None:
    app = complete_application(brands=[{"name": "crest vpn"}])
    error = assert_error(post(applicant, f"{API}/applications/{app.pk}/submit"), 409, "brand_taken")
    assert "brands[0].name" in fields_named(error)
    app.refresh_from_db()
    assert app.state == S.DRAFT


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({"gateway_prefixes": ["10.0.0.0/8"]}, "gateway_prefixes[0]", "not public"),
        ({"gateway_prefixes": ["39.32.0.1/24"]}, "gateway_prefixes[0]", "host bits"),
        (
            {"brands": [{"name": "X VPN", "websites": ["not a domain"]}]},
            "brands[0].websites[0]",
            "not a",
        ),
        ({"brands": [{"name": "X VPN"}, {"name": "x-vpn"}]}, "brands[1].name", "duplicate"),
        ({"declarations": {"made_up": True}}, "declarations.made_up", "unknown"),
        ({"fee_payment_reference": "<script>"}, "fee_payment_reference", "malformed"),
    ],
)
def test_editing_with_invalid_content_is_422_naming_the_field_and_changes_nothing(
    world: dict[str, Any],
    complete_application: Any,
    applicant: Client,
    data: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    app = complete_application()
    before = applicant.get(f"{API}/applications/{app.pk}").json()
    error = assert_error(patch(applicant, f"{API}/applications/{app.pk}", data), 422)
    assert field in fields_named(error), error
    assert any(reason in d["reason"] for d in error["details"]), error
    assert applicant.get(f"{API}/applications/{app.pk}").json() == before


def test_a_submitted_application_can_no_longer_be_edited_or_given_documents(
    world: dict[str, Any], complete_application: Any, applicant: Client
) -> None:
    app = complete_application()
    post(applicant, f"{API}/applications/{app.pk}/submit")
    edit = patch(
        applicant,
        f"{API}/applications/{app.pk}",
        {"service_description": "Changed after submission, sneakily."},
    )
    assert_error(edit, 409, "illegal_transition")
    upload = applicant.post(
        f"{API}/applications/{app.pk}/documents", {"kind": "other", "file": pdf_upload()}
    )
    assert_error(upload, 409, "illegal_transition")
    app.refresh_from_db()
    assert app.service_description == COMPLETE["service_description"]
    assert app.documents.count() == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", b"just some text", "not a PDF"),
        ("fake.pdf", b"<html>%PDF-1.4</html>\n%%EOF", "not a PDF"),
        ("truncated.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "truncated"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_uploads_that_are_not_whole_pdfs_are_refused_with_422(
    world: dict[str, Any], applicant: Client, name: str, content: bytes, reason: str
) -> None:
    app = post(applicant, f"{API}/applications", {"organisation_id": world["org_a"].pk}).json()
    response = applicant.post(
        f"{API}/applications/{app['id']}/documents",
        {"kind": "other", "file": pdf_upload(name, content)},
    )
    error = assert_error(response, 422, "validation_error")
    assert any(reason in d["reason"] for d in error["details"]), error
    assert not ApplicationDocument.objects.filter(application_id=app["id"]).exists()


def test_an_upload_over_the_size_limit_is_refused(world: dict[str, Any], applicant: Client) -> None:
    app = post(applicant, f"{API}/applications", {"organisation_id": world["org_a"].pk}).json()
    big = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"
    with override_settings(DOCUMENT_MAX_BYTES=1024):
        response = applicant.post(
            f"{API}/applications/{app['id']}/documents",
            {"kind": "other", "file": pdf_upload("big.pdf", big)},
        )
    error = assert_error(response, 422, "validation_error")
    assert "1,024" in error["message"]
    assert not ApplicationDocument.objects.filter(application_id=app["id"]).exists()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"kind": "passport_photo"}, "kind"),
        ({}, "kind"),
        ({"kind": "other", "no_file": True}, "file"),
    ],
)
def test_an_upload_without_a_known_kind_or_a_file_is_422_naming_it(
    world: dict[str, Any], applicant: Client, form: dict[str, Any], field: str
) -> None:
    app = post(applicant, f"{API}/applications", {"organisation_id": world["org_a"].pk}).json()
    data: dict[str, Any] = {k: v for k, v in form.items() if k != "no_file"}
    if "no_file" not in form:
        data["file"] = pdf_upload()
    response = applicant.post(f"{API}/applications/{app['id']}/documents", data)
    assert field in fields_named(assert_error(response, 422, "validation_error"))


def test_a_removed_document_is_no_longer_listed_or_downloadable(
    world: dict[str, Any], complete_application: Any, applicant: Client
) -> None:
    app = complete_application()
    doc = app.documents.first()
    assert applicant.delete(f"{API}/applications/{app.pk}/documents/{doc.pk}").status_code == 204
    assert doc.pk not in [
        d["id"] for d in applicant.get(f"{API}/applications/{app.pk}").json()["documents"]
    ]
    assert_error(applicant.get(f"{API}/applications/{app.pk}/documents/{doc.pk}"), 404, "not_found")
    doc.refresh_from_db()
    assert doc.removed_at is not None  # kept on record, not deleted


def test_withdrawal_ends_the_application_and_cannot_be_repeated(
    world: dict[str, Any], under_review: Application, applicant: Client
) -> None:
    url = f"{API}/applications/{under_review.pk}/withdraw"
    response = post(applicant, url, {"reason": "We changed our plans."})
    assert (response.status_code, response.json()["state"]) == (200, "withdrawn")
    assert response.json()["history"][-1]["reason"] == "We changed our plans."
    assert_error(post(applicant, url, {"reason": "again"}), 409, "illegal_transition")


def test_rejection_records_the_reason_and_closes_the_application(
    world: dict[str, Any], under_review: Application, applicant: Client, officer: Client
) -> None:
    response = post(
        officer,
        f"{API}/applications/{under_review.pk}/reject",
        {"reason": "Security policy is incomplete."},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["decision_reason"], body["licence_number"]) == (
        "rejected",
        "Security policy is incomplete.",
        None,
    )
    assert_error(
        post(applicant, f"{API}/applications/{under_review.pk}/withdraw"), 409, "illegal_transition"
    )
    assert_error(
        post(
            officer, f"{API}/applications/{under_review.pk}/approve", {"reason": "Changed my mind."}
        ),
        409,
        "illegal_transition",
    )
    assert not Licence.objects.filter(application=under_review).exists()


@pytest.mark.parametrize(
    ("who", "move", "data"),
    [
        ("officer", "take", None),  # a draft is not yet submitted
        ("officer", "approve", {"reason": "ok"}),
        ("officer", "reject", {"reason": "no"}),
        ("officer", "request-information", {"reason": "why?"}),
        ("member_a", "respond", {"response": "nothing was asked"}),
    ],
)
def test_moves_that_the_draft_state_does_not_allow_are_409(
    world: dict[str, Any],
    complete_application: Any,
    client_for: Any,
    who: str,
    move: str,
    data: Any,
) -> None:
    app = complete_application()
    error = assert_error(
        post(client_for(world[who]), f"{API}/applications/{app.pk}/{move}", data),
        409,
        "illegal_transition",
    )
    assert app.reference in error["message"]
    app.refresh_from_db()
    assert (app.state, app.transitions.count()) == (S.DRAFT, 1)


def test_submitting_twice_is_409(
    world: dict[str, Any], complete_application: Any, applicant: Client
) -> None:
    app = complete_application()
    assert post(applicant, f"{API}/applications/{app.pk}/submit").status_code == 200
    assert_error(post(applicant, f"{API}/applications/{app.pk}/submit"), 409, "illegal_transition")


@pytest.mark.parametrize("move", ["approve", "reject", "request-information"])
@pytest.mark.parametrize("data", [None, {"reason": ""}, {"reason": "   "}])
def test_decisions_without_a_reason_are_422_and_change_nothing(
    world: dict[str, Any], under_review: Application, officer: Client, move: str, data: Any
) -> None:
    error = assert_error(
        post(officer, f"{API}/applications/{under_review.pk}/{move}", data), 422, "validation_error"
    )
    assert "reason" in fields_named(error)
    under_review.refresh_from_db()
    assert under_review.state == S.UNDER_REVIEW
    assert not Licence.objects.filter(application=under_review).exists()


def test_a_response_to_an_information_request_must_say_something(
    world: dict[str, Any], under_review: Application, applicant: Client
) -> None:
    services.application_request_information(
        principal=principal(world["officer"]),
        application=under_review,
        reason="Which data centres?",
    )
    assert "response" in fields_named(
        assert_error(post(applicant, f"{API}/applications/{under_review.pk}/respond"), 422)
    )
    assert "response" in fields_named(
        assert_error(
            post(applicant, f"{API}/applications/{under_review.pk}/respond", {"response": "  "}),
            422,
        )
    )
    under_review.refresh_from_db()
    assert under_review.state == S.INFORMATION_REQUESTED


# -- licence actions -----------------------------------------------------------------------------


def licence_url(lic: Licence, action: str) -> str:
    return f"{API}/licences/{lic.pk}/{action}"


def test_suspend_reinstate_and_revoke_through_the_api_each_with_its_reason(
    licence: Licence, officer: Client, anon: Client
) -> None:
    suspended = post(officer, licence_url(licence, "suspend"), {"reason": "Returns overdue."})
    assert (suspended.status_code, suspended.json()["status"]) == (200, "suspended")
    assert anon.get(f"{API}/verify", {"brand": "Falcon Shield VPN"}).json()["licensed"] is False

    reinstated = post(officer, licence_url(licence, "reinstate"), {"reason": "Returns filed."})
    assert (reinstated.status_code, reinstated.json()["status"]) == (200, "active")
    assert anon.get(f"{API}/verify", {"brand": "Falcon Shield VPN"}).json()["licensed"] is True

    revoked = post(officer, licence_url(licence, "revoke"), {"reason": "Repeated breaches."})
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    assert [
        (h["action"], h["from_status"], h["to_status"], h["reason"])
        for h in revoked.json()["history"]
    ] == [
        ("issue", "", "active", "Meets all conditions."),
        ("suspend", "active", "suspended", "Returns overdue."),
        ("reinstate", "suspended", "active", "Returns filed."),
        ("revoke", "active", "revoked", "Repeated breaches."),
    ]
    public = anon.get(f"{API}/register/licences/{licence.number_slug}").json()
    assert public["status"] == "revoked"


def test_the_holders_manager_may_surrender_its_licence(licence: Licence, applicant: Client) -> None:
    response = post(
        applicant, licence_url(licence, "surrender"), {"reason": "We are leaving the market."}
    )
    assert (response.status_code, response.json()["status"]) == (200, "surrendered")
    assert response.json()["history"][-1]["reason"] == "We are leaving the market."


def test_a_member_who_is_not_a_manager_cannot_surrender(
    world: dict[str, Any], licence: Licence, make_user: Any, client_for: Any
) -> None:
    from cvas.accounts.choices import MembershipRole
    from cvas.accounts.services import membership_set
    from tests.conftest import SYSTEM

    clerk = make_user("clerk@provider-a.test")
    membership_set(
        actor=SYSTEM, organisation=world["org_a"], user=clerk, role=MembershipRole.MEMBER
    )
    assert_error(
        post(client_for(clerk), licence_url(licence, "surrender"), {"reason": "Not mine to give."}),
        403,
        "forbidden",
    )
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ACTIVE


def test_renewal_before_the_window_opens_is_409_and_inside_it_extends_by_the_regime_validity(
    licence: Licence, officer: Client
) -> None:
    error = assert_error(
        post(officer, licence_url(licence, "renew"), {"reason": "Renewal requested."}),
        409,
        "illegal_transition",
    )
    assert "opens on" in error["message"]
    near_expiry = pk_today() + dt.timedelta(days=30)
    Licence.objects.filter(pk=licence.pk).update(expires_on=near_expiry)
    response = post(officer, licence_url(licence, "renew"), {"reason": "Renewal requested."})
    assert response.status_code == 200, response.content
    assert dt.date.fromisoformat(response.json()["expires_on"]) == near_expiry.replace(
        year=near_expiry.year + 15
    )
    assert response.json()["status"] == "active"
    assert response.json()["history"][-1]["action"] == "renew"


def _bring_to(lic: Licence, status: str, officer_principal: Any) -> None:
    if status == "suspended":
        services.licence_suspend(principal=officer_principal, licence=lic, reason="setup")
    elif status == "revoked":
        services.licence_revoke(principal=officer_principal, licence=lic, reason="setup")
    elif status == "surrendered":
        services.licence_surrender(principal=officer_principal, licence=lic, reason="setup")
    elif status == "expired":
        Licence.objects.filter(pk=lic.pk).update(
            expires_on=pk_today() - dt.timedelta(days=1),
            issued_on=pk_today() - dt.timedelta(days=400),
        )
        from cvas.core.actors import Actor

        services.licences_expire_due(actor=Actor.system("tests"))


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("active", "reinstate"),
        ("suspended", "suspend"),
        ("suspended", "renew"),
        ("revoked", "suspend"),
        ("revoked", "reinstate"),
        ("revoked", "revoke"),
        ("revoked", "surrender"),
        ("revoked", "renew"),
        ("surrendered", "reinstate"),
        ("surrendered", "revoke"),
        ("surrendered", "surrender"),
        ("expired", "reinstate"),
        ("expired", "suspend"),
        ("expired", "renew"),
    ],
)
def test_illegal_licence_moves_are_409_and_change_nothing(
    world: dict[str, Any], licence: Licence, officer: Client, status: str, action: str
) -> None:
    _bring_to(licence, status, principal(world["officer"]))
    licence.refresh_from_db()
    assert licence.status == status
    events = licence.events.count()
    error = assert_error(
        post(officer, licence_url(licence, action), {"reason": "Trying anyway."}),
        409,
        "illegal_transition",
    )
    assert licence.number in error["message"]
    licence.refresh_from_db()
    assert (licence.status, licence.events.count()) == (status, events)


@pytest.mark.parametrize("action", ["suspend", "reinstate", "revoke", "surrender", "renew"])
@pytest.mark.parametrize("data", [None, {"reason": ""}, {"reason": " \n\t "}])
def test_licence_actions_without_a_reason_are_422(
    world: dict[str, Any], licence: Licence, officer: Client, action: str, data: Any
) -> None:
    if action == "reinstate":
        _bring_to(licence, "suspended", principal(world["officer"]))
    licence.refresh_from_db()
    status, events = licence.status, licence.events.count()
    error = assert_error(post(officer, licence_url(licence, action), data), 422, "validation_error")
    assert "reason" in fields_named(error)
    licence.refresh_from_db()
    assert (licence.status, licence.events.count()) == (status, events)


@pytest.mark.parametrize(
    "who", ["compliance", "admin", "auditor", "member_a", "member_b", "operator"]
)
@pytest.mark.parametrize("action", ["suspend", "revoke", "renew"])
def test_only_a_licensing_officer_suspends_revokes_or_renews(
    world: dict[str, Any], licence: Licence, client_for: Any, who: str, action: str
) -> None:
    assert_error(
        post(client_for(world[who]), licence_url(licence, action), {"reason": "Because I can."}),
        403,
        "forbidden",
    )
    licence.refresh_from_db()
    assert (licence.status, licence.events.count()) == (LicenceStatus.ACTIVE, 1)


def test_licence_actions_on_a_missing_licence_are_404(seeded: Any, officer: Client) -> None:
    assert_error(post(officer, f"{API}/licences/999999/suspend", {"reason": "x"}), 404, "not_found")
    assert_error(
        post(officer, f"{API}/licences/{10**30}/suspend", {"reason": "x"}), 404, "not_found"
    )


def test_an_unknown_licence_action_is_refused_naming_the_action(
    licence: Licence, officer: Client
) -> None:
    error = assert_error(
        post(officer, licence_url(licence, "cancel"), {"reason": "x"}), 422, "validation_error"
    )
    assert "action" in fields_named(error)
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ACTIVE


def test_the_official_number_of_a_public_record_licence_is_recorded_once_then_findable(
    world: dict[str, Any], officer: Client, anon: Client
) -> None:
    crest = public_licence("Zettabyte Pvt Ltd")
    response = post(
        officer, f"{API}/licences/{crest.pk}/official-number", {"number": "PTA/CVAS-DATA/2025/012"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["number"] == "PTA/CVAS-DATA/2025/012"
    found = anon.get(f"{API}/register/licences/PTA-CVAS-DATA-2025-012")
    assert (found.status_code, found.json()["holder"]) == (200, "Zettabyte Pvt Ltd")
    again = post(
        officer, f"{API}/licences/{crest.pk}/official-number", {"number": "PTA/CVAS-DATA/2025/013"}
    )
    assert_error(again, 409, "number_recorded")
    crest.refresh_from_db()
    assert crest.number == "PTA/CVAS-DATA/2025/012"


# -- errors: always the one shape, never a 500 on bad input --------------------------------------


def test_anonymous_callers_get_401_with_a_bearer_challenge(
    complete_application: Any, anon: Client
) -> None:
    app = complete_application()
    for response in (
        anon.get(f"{API}/applications"),
        anon.get(f"{API}/applications/{app.pk}"),
        post(anon, f"{API}/applications", {"organisation_id": app.organisation_id}),
        post(anon, f"{API}/applications/{app.pk}/submit"),
        post(anon, f"{API}/licences/1/suspend", {"reason": "x"}),
    ):
        assert_error(response, 401, "unauthenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")
    app.refresh_from_db()
    assert app.state == S.DRAFT


def test_malformed_json_is_400(
    world: dict[str, Any], complete_application: Any, applicant: Client
) -> None:
    app = complete_application()
    for url, method in (
        (f"{API}/applications", applicant.post),
        (f"{API}/applications/{app.pk}", applicant.patch),
    ):
        response = method(url, data='{"organisation_id": 1,', content_type="application/json")
        assert_error(response, 400, "bad_request")
    app.refresh_from_db()
    assert app.service_description == COMPLETE["service_description"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organisation_id": "A"}, "organisation_id"),
        ({"organisation_id": 1.5}, "organisation_id"),
        ({"organisation_id": None}, "organisation_id"),
        ({}, "organisation_id"),
        ([], "request"),  # not an object at all
        ("provider a", "request"),
        ({"org": "placeholder", "service_description": 42}, "service_description"),
        ({"org": "placeholder", "brands": "Falcon Shield VPN"}, "brands"),
        ({"org": "placeholder", "brands": [{"websites": ["x.pk"]}]}, "brands.0.name"),
        ({"org": "placeholder", "gateway_prefixes": "39.32.0.0/24"}, "gateway_prefixes"),
        (
            {"org": "placeholder", "declarations": {"lawful_use": "maybe"}},
            "declarations.lawful_use",
        ),
        ({"org": "placeholder", "declarations": ["lawful_use"]}, "declarations"),
        ({"org": "placeholder", "service_description": "x" * 10001}, "service_description"),
        ({"org": "placeholder", "colour": "green"}, "colour"),
    ],
)
def test_creating_with_wrong_types_or_unknown_fields_is_422_naming_the_field(
    world: dict[str, Any], applicant: Client, body: Any, field: str
) -> None:
    if isinstance(body, dict) and "org" in body:
        body = {k: v for k, v in body.items() if k != "org"} | {
            "organisation_id": world["org_a"].pk
        }
    response = post(applicant, f"{API}/applications", body)
    error = assert_error(response, 422, "validation_error")
    assert field in fields_named(error), error
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"service_descripton": "A typo in the field name must not be silently ignored."},
            "service_descripton",
        ),
        ({"state": "approved"}, "state"),
        ({"organisation_id": 1}, "organisation_id"),
        (
            {"brands": [{"name": "Falcon Shield VPN", "website": ["falconshield.example"]}]},
            "brands.0.website",
        ),
    ],
)
def test_editing_with_unknown_fields_is_422_and_changes_nothing(
    world: dict[str, Any],
    complete_application: Any,
    applicant: Client,
    body: dict[str, Any],
    field: str,
) -> None:
    app = complete_application()
    before = applicant.get(f"{API}/applications/{app.pk}").json()
    error = assert_error(
        patch(applicant, f"{API}/applications/{app.pk}", body), 422, "validation_error"
    )
    assert field in fields_named(error), error
    assert applicant.get(f"{API}/applications/{app.pk}").json() == before


def test_a_decision_with_a_misspelt_reason_field_is_refused_not_taken_without_reason(
    world: dict[str, Any], under_review: Application, officer: Client
) -> None:
    error = assert_error(
        post(officer, f"{API}/applications/{under_review.pk}/reject", {"reson": "Typo."}),
        422,
        "validation_error",
    )
    assert "reson" in fields_named(error)
    under_review.refresh_from_db()
    assert under_review.state == S.UNDER_REVIEW


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-", "0x10", "%20"])
def test_non_integer_ids_are_422_not_500(
    world: dict[str, Any], applicant: Client, officer: Client, bad_id: str
) -> None:
    for response in (
        applicant.get(f"{API}/applications/{bad_id}"),
        patch(applicant, f"{API}/applications/{bad_id}", {"service_description": "x"}),
        post(applicant, f"{API}/applications/{bad_id}/submit"),
        applicant.get(f"{API}/applications/{bad_id}/documents/1"),
        post(officer, f"{API}/licences/{bad_id}/suspend", {"reason": "x"}),
    ):
        assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_huge_ids_are_404_not_500(
    world: dict[str, Any], complete_application: Any, applicant: Client, officer: Client, huge: int
) -> None:
    app = complete_application()
    for response in (
        applicant.get(f"{API}/applications/{huge}"),
        patch(applicant, f"{API}/applications/{huge}", {"service_description": "x"}),
        post(applicant, f"{API}/applications/{huge}/withdraw"),
        applicant.get(f"{API}/applications/{app.pk}/documents/{huge}"),
        post(applicant, f"{API}/applications", {"organisation_id": huge}),
        post(officer, f"{API}/licences/{huge}/revoke", {"reason": "x"}),
    ):
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize("url", ["/applications", "/review/queue"])
@pytest.mark.parametrize(
    "params",
    [{"offset": 10**30}, {"offset": 2**63}, {"limit": 10**30}, {"offset": -5}, {"state": "limbo"}],
)
def test_listing_applications_with_bad_paging_or_state_is_422(
    world: dict[str, Any], officer: Client, url: str, params: dict[str, Any]
) -> None:
    assert_error(officer.get(f"{API}{url}", params), 422, "validation_error")


def test_an_error_never_leaks_a_traceback_and_nothing_is_written_on_refusal(
    world: dict[str, Any], complete_application: Any, applicant: Client
) -> None:
    app = complete_application()
    events = AuditEvent.objects.count()
    responses = [
        applicant.post(f"{API}/applications", data="{", content_type="application/json"),
        post(
            applicant,
            f"{API}/applications",
            {"organisation_id": world["org_a"].pk, "gateway_prefixes": ["10.0.0.0/8"]},
        ),
        patch(
            applicant,
            f"{API}/applications/{app.pk}",
            {"brands": [{"name": "x", "websites": ["..."]}]},
        ),
        post(applicant, f"{API}/applications/{app.pk}/approve", {"reason": "self-approval"}),
    ]
    for response in responses:
        assert 400 <= response.status_code < 500, response.content
        assert b"Traceback" not in response.content
        assert_error(response, response.status_code)
    assert AuditEvent.objects.count() == events
    assert Organisation.objects.get(pk=world["org_a"].pk).applications.count() == 1
