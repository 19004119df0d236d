"""The organisation portal: sign-up, organisations and members, the step-by-step application with
its checklist, uploads, submission, answering a request, licences and the certificate."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from cvas.accounts.models import ApiKey, Membership, Organisation
from cvas.licensing import services
from cvas.licensing.choices import ApplicationState, DocumentKind
from cvas.licensing.models import Application, Licence
from tests.conftest import COMPLETE, pdf_upload, principal

pytestmark = pytest.mark.django_db


def test_sign_up_creates_an_account_then_an_organisation_managed_by_it(
    seeded: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    weak = client.post(
        "/portal/sign-up/",
        {"email": "new@provider.test", "full_name": "N", "password1": "123", "password2": "123"},
    )
    assert weak.status_code == 200 and 'id="id_password1_error"' in weak.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/portal/sign-up/",
            {
                "email": "new@provider.test",
                "full_name": "New Person",
                "password1": "a long enough secret 42",
                "password2": "a long enough secret 42",
            },
        )
    # The account waits for its address to be confirmed (cvas.accounts.signup)
    assert done["Location"] == "/accounts/sign-up/sent/"
    link = re.search(r"http://[^/\s]+(/accounts/verify/\S+/)", mail.outbox[-1].body)
    assert link is not None
    assert client.get(link.group(1))["Location"] == "/accounts/login/"
    signed_in = client.post(
        "/accounts/login/",
        {"username": "new@provider.test", "password": "a long enough secret 42"},
    )
    assert signed_in.status_code == 302
    created = client.post(
        "/portal/organisations/new/",
        {"name": "Swat Secure Pvt Ltd", "kind": "company", "contact_email": "c@swat.test"},
    )
    org = Organisation.objects.get(name="Swat Secure Pvt Ltd")
    assert created["Location"] == f"/portal/organisations/{org.pk}/"
    assert Membership.objects.get(organisation=org).role == "manager"
    again = client.post(
        "/portal/organisations/new/",
        {"name": "swat secure pvt ltd", "kind": "company", "contact_email": "c@swat.test"},
    )
    assert 'id="id_name_error"' in again.content.decode()


def test_a_draft_is_filled_step_by_step_with_errors_next_to_the_field(
    world: dict[str, Any], client_for: Any
) -> None:
    client = client_for(world["member_a"])
    start = client.post("/portal/applications/new/", {"organisation": world["org_a"].pk})
    app = Application.objects.get(organisation=world["org_a"])
    base = f"/portal/applications/{app.pk}/step"
    assert start["Location"] == f"{base}/service/"

    assert (
        client.post(f"{base}/service/", {"service_description": COMPLETE["service_description"]})[
            "Location"
        ]
        == f"{base}/brands/"
    )
    client.post(
        f"{base}/brands/", {"name_0": "Falcon Shield VPN", "websites_0": "falconshield.example"}
    )
    bad = client.post(f"{base}/gateways/", {"gateway_prefixes": "39.32.0.0/24\n10.0.0.0/8"})
    page = bad.content.decode()
    assert bad.status_code == 422 and 'id="id_gateway_prefixes_error"' in page
    assert "Line 2:" in page and "private range" in page
    app.refresh_from_db()
    assert app.gateway_prefixes == []  # bad input changes nothing

    client.post(f"{base}/gateways/", {"gateway_prefixes": "39.32.0.0/24"})
    review = client.get(f"{base}/review/").content.decode()
    assert (
        "Give the fee payment reference." in review
        and "Upload: Data-security policy (PDF)." in review
    )
    assert "Name at least one brand." not in review


def test_an_urdu_page_explains_a_gateway_prefix_with_host_bits_in_urdu(
    world: dict[str, Any], client_for: Any
) -> None:
    msgid = "%(field)s: %(raw)s has host bits set; did you mean %(net)s?"
    with translation.override("ur"):
        assert translation.gettext(msgid) != msgid  # the catalogue has it
    client = client_for(world["member_a"])
    app = services.application_create(
        principal=principal(world["member_a"]), organisation=world["org_a"]
    )
    bad = client.post(
        f"/ur/portal/applications/{app.pk}/step/gateways/",
        {"gateway_prefixes": "39.32.0.0/24\n39.32.10.7/24"},
    )
    page = bad.content.decode()
    assert bad.status_code == 422 and 'id="id_gateway_prefixes_error"' in page
    # Next to the field, on its line, in Urdu, with the prefix the applicant probably meant
    assert "سطر 2: 39.32.10.7/24 میں ہوسٹ بٹس سیٹ ہیں؛ کیا آپ کی مراد 39.32.10.0/24 ہے؟" in page
    assert "host bits set" not in page and "gateway_prefixes[1]" not in page
    app.refresh_from_db()
    assert app.gateway_prefixes == []
    # The same request in English still reads as before
    english = client.post(
        f"/portal/applications/{app.pk}/step/gateways/", {"gateway_prefixes": "39.32.10.7/24"}
    )
    assert "Line 1: 39.32.10.7/24 has host bits set; did you mean 39.32.10.0/24?" in (
        english.content.decode()
    )


def test_autosave_answers_in_json(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["member_a"])
    app = services.application_create(
        principal=principal(world["member_a"]), organisation=world["org_a"]
    )
    url = f"/portal/applications/{app.pk}/step/declarations/"
    ok = client.post(
        url,
        {"decl_lawful_use": "on", "fee_payment_reference": "PSID-1"},
        HTTP_ACCEPT="application/json",
    )
    assert ok.json()["ok"] is True
    app.refresh_from_db()
    assert app.declarations["lawful_use"] is True and app.fee_payment_reference == "PSID-1"
    bad = client.post(url, {"fee_payment_reference": "!"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 422 and "fee_payment_reference" in bad.json()["errors"]


def test_upload_refuses_a_non_pdf_next_to_the_file_field_and_accepts_a_pdf(
    world: dict[str, Any], client_for: Any
) -> None:
    client = client_for(world["member_a"])
    app = services.application_create(
        principal=principal(world["member_a"]), organisation=world["org_a"]
    )
    url = f"/portal/applications/{app.pk}/documents/"
    refused = client.post(
        url, {"kind": DocumentKind.SECURITY_POLICY, "file": pdf_upload(content=b"hello")}
    )
    assert refused.status_code == 422 and 'id="id_file_error"' in refused.content.decode()
    ok = client.post(
        url,
        {"kind": DocumentKind.SECURITY_POLICY, "file": pdf_upload("policy.pdf")},
        HTTP_ACCEPT="application/json",
    )
    assert ok.json()["ok"] is True and ok.json()["name"] == "policy.pdf"
    doc = app.documents.get()
    assert client.get(f"/portal/applications/{app.pk}/documents/{doc.pk}/").status_code == 200


def test_submit_then_answer_an_information_request(
    world: dict[str, Any], client_for: Any, complete_application: Any
) -> None:
    client = client_for(world["member_a"])
    app = complete_application()
    assert client.post(f"/portal/applications/{app.pk}/submit/").status_code == 302
    app.refresh_from_db()
    assert app.state == ApplicationState.SUBMITTED
    officer = principal(world["officer"])
    services.application_take(principal=officer, application=app)
    services.application_request_information(
        principal=officer, application=app, reason="Where are the gateways hosted?"
    )
    page = client.get(f"/portal/applications/{app.pk}/").content.decode()
    assert "Where are the gateways hosted?" in page and 'id="respond"' in page
    empty = client.post(f"/portal/applications/{app.pk}/respond/", {"response": ""})
    assert 'id="id_response_error"' in empty.content.decode()
    client.post(f"/portal/applications/{app.pk}/respond/", {"response": "Karachi and Lahore."})
    app.refresh_from_db()
    assert app.state == ApplicationState.RESUBMITTED


def test_an_incomplete_draft_is_not_submitted(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["member_a"])
    app = services.application_create(
        principal=principal(world["member_a"]), organisation=world["org_a"]
    )
    response = client.post(f"/portal/applications/{app.pk}/submit/")
    assert response["Location"].endswith("/step/review/")
    app.refresh_from_db()
    assert app.state == ApplicationState.DRAFT


def test_another_organisations_records_are_not_found(
    world: dict[str, Any], client_for: Any, complete_application: Any
) -> None:
    app = complete_application()
    other = client_for(world["member_b"])
    assert other.get(f"/portal/applications/{app.pk}/").status_code == 404
    assert other.get(f"/portal/applications/{app.pk}/step/service/").status_code == 404
    assert other.post(f"/portal/applications/{app.pk}/submit/").status_code == 404
    assert other.get(f"/portal/organisations/{world['org_a'].pk}/").status_code == 404
    assert (
        Client().get(f"/portal/applications/{app.pk}/")["Location"].startswith("/accounts/login/")
    )


def test_a_manager_adds_and_removes_members_but_keeps_one_manager(
    world: dict[str, Any], client_for: Any, make_user: Any
) -> None:
    colleague = make_user("colleague@provider-a.test")
    client = client_for(world["member_a"])
    org = world["org_a"]
    unknown = client.post(
        f"/portal/organisations/{org.pk}/members/", {"email": "nobody@x.test", "role": "member"}
    )
    assert 'id="id_email_error"' in unknown.content.decode()
    client.post(
        f"/portal/organisations/{org.pk}/members/", {"email": colleague.email, "role": "member"}
    )
    membership = Membership.objects.get(user=colleague, organisation=org)
    own = Membership.objects.get(user=world["member_a"], organisation=org)
    client.post(f"/portal/organisations/{org.pk}/members/{own.pk}/", {"role": "member"})
    own.refresh_from_db()
    assert own.role == "manager"  # the last manager stays
    client.post(f"/portal/organisations/{org.pk}/members/{membership.pk}/", {"remove": "1"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    plain = client_for(colleague)
    Membership.objects.create(user=colleague, organisation=org, role="member")
    assert (
        plain.post(
            f"/portal/organisations/{org.pk}/members/", {"email": "a@b.test", "role": "member"}
        ).status_code
        == 403
    )


def test_an_api_key_is_shown_once(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["member_a"])
    org = world["org_a"]
    page = client.post(
        f"/portal/organisations/{org.pk}/api-keys/",
        {"name": "reporting", "scopes": ["read"], "days": "30"},
    ).content.decode()
    key = ApiKey.objects.get(organisation=org)
    assert f"cvas_{key.prefix}_" in page and "will not be shown again" in page
    assert f"cvas_{key.prefix}_…" in client.get(f"/portal/organisations/{org.pk}/").content.decode()


def test_the_certificate_carries_a_qr_code_of_the_stable_verification_address(
    world: dict[str, Any], client_for: Any, complete_application: Any, settings: Any
) -> None:
    settings.SITE_URL = "https://registry.example.pk"
    app = complete_application()
    services.application_submit(principal=principal(world["member_a"]), application=app)
    officer = principal(world["officer"])
    services.application_take(principal=officer, application=app)
    lic = services.application_approve(principal=officer, application=app, reason="Complete.")
    page = (
        client_for(world["member_a"])
        .get(f"/portal/licences/{lic.pk}/certificate/")
        .content.decode()
    )
    assert f"https://registry.example.pk/v/{lic.verification_token}/" in page
    assert "<svg" in page and 'class="segno"' in page and lic.number in page
    assert (
        client_for(world["officer"]).get(f"/portal/licences/{lic.pk}/certificate/").status_code
        == 200
    )
    assert (
        client_for(world["member_b"]).get(f"/portal/licences/{lic.pk}/certificate/").status_code
        == 404
    )
    assert Licence.objects.filter(pk=lic.pk).exists()


def test_urdu_portal_pages_are_right_to_left(world: dict[str, Any], client_for: Any) -> None:
    page = client_for(world["member_a"]).get("/ur/portal/").content.decode()
    assert '<html lang="ur" dir="rtl">' in page and "اداروں کا پورٹل" in page
