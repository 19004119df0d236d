"""The journeys of issue 5 in headless Chromium: a citizen verifies VPNs; an applicant drafts,
uploads and submits; an officer asks for information, the applicant answers, the officer approves;
the licence appears on the public register; the same pages in Urdu read right to left.
Each step leaves a screenshot in var/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from cvas.licensing import services
from cvas.licensing.models import Application, Licence
from tests.browser.conftest import serious_violations, sign_in
from tests.conftest import principal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}
PDF = (
    b"%PDF-1.4\n"
    + b"% padding to show upload progress\n" * 60_000
    + b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
)


def _rtl(page: Any) -> bool:
    return bool(
        page.evaluate(
            "() => document.documentElement.dir === 'rtl' && document.documentElement.lang === 'ur'"
        )
    )


def test_a_citizen_verifies_a_licensed_brand_and_an_unknown_one(
    live_server: Any, seeded: Any, new_context: Any, screenshot: Any, axe_source: str
) -> None:
    base = live_server.url
    page = new_context().new_page()
    page.goto(f"{base}/")
    page.fill("#q", "Crest VPN")
    page.click("form[role=search] button")
    answer = page.locator("section.answer")
    assert answer.get_attribute("data-status") == "active"
    assert "Zettabyte Pvt Ltd" in answer.inner_text() and "Licensed" in answer.inner_text()
    screenshot(page, "citizen-1-licensed")

    page.fill("#q", "Shady Tunnel VPN")
    page.keyboard.press("Enter")  # the keyboard alone is enough
    page.wait_for_selector("section.answer[data-status=not_licensed]")
    assert "Not on the register" in page.locator("section.answer h2").inner_text()
    screenshot(page, "citizen-2-unknown")

    # accessibility of the public pages (axe-core: no serious or critical violation)
    lic = Licence.objects.get(holder__name="Zettabyte Pvt Ltd")
    problems: dict[str, list[str]] = {}
    for path in (
        "/?q=Crest+VPN",
        "/register/",
        f"/register/id/{lic.pk}/",
        "/policy/",
        "/statistics/",
        f"/v/{lic.verification_token}/",
        "/ur/",
        "/ur/register/",
        "/accounts/login/",
        "/portal/sign-up/",
    ):
        page.goto(f"{base}{path}")
        found = serious_violations(page, axe_source)
        if found:
            problems[path] = found
    assert problems == {}

    # a phone-sized screen, in Urdu on a first visit because the browser prefers it
    phone = new_context(viewport=PHONE, locale="ur-PK").new_page()
    phone.goto(f"{base}/")
    assert phone.url == f"{base}/ur/" and _rtl(phone)
    phone.fill("#q", "Crest VPN")
    phone.click("form[role=search] button")
    assert phone.locator("section.answer").get_attribute("data-status") == "active"
    screenshot(phone, "citizen-3-phone-urdu")
    phone.goto(f"{base}/register/")
    assert phone.url == f"{base}/ur/register/"
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "citizen-4-phone-register-urdu")
    phone.click("form.lang-switch button")  # the switcher, remembered in a cookie
    assert phone.url == f"{base}/register/" and not _rtl(phone)
    phone.goto(f"{base}/policy/")
    assert phone.url == f"{base}/policy/"


def test_apply_request_information_answer_approve_and_the_register_shows_the_licence(
    live_server: Any, world: dict[str, Any], new_context: Any, screenshot: Any
) -> None:
    base = live_server.url
    applicant = new_context().new_page()
    sign_in(applicant, base, world["member_a"].email, PASSWORD)
    applicant.goto(f"{base}/portal/")
    applicant.click("text=Start a new application")
    applicant.click("main form button[type=submit]")  # start the draft

    applicant.fill("#id_service_description", "A business VPN with gateways in Karachi and Lahore.")
    screenshot(applicant, "journey-01-draft-service")
    applicant.click("text=Save and continue")
    applicant.fill("#id_name_0", "Falcon Shield VPN")
    applicant.fill("#id_websites_0", "falconshield.example")
    applicant.click("text=Save and continue")
    applicant.fill("#id_gateway_prefixes", "39.32.0.0/24\n10.0.0.0/8")
    applicant.click("text=Save and continue")
    assert "Line 2:" in applicant.locator("#id_gateway_prefixes_error").inner_text()
    assert applicant.get_attribute("#id_gateway_prefixes", "aria-invalid") == "true"
    screenshot(applicant, "journey-02-error-next-to-field")
    applicant.fill("#id_gateway_prefixes", "39.32.0.0/24")
    applicant.click("text=Save and continue")
    for box in applicant.locator("input[type=checkbox]").all():
        box.check()
    applicant.fill("#id_fee_payment_reference", "PSID-2026-000123")
    applicant.wait_for_selector(".save-status:has-text('Saved at')")  # saved as you go
    applicant.click("text=Save and continue")

    for kind, name in (
        ("incorporation_certificate", "incorporation.pdf"),
        ("security_policy", "policy.pdf"),
    ):
        applicant.select_option("#id_kind", kind)
        applicant.set_input_files(
            "#id_file", {"name": name, "mimeType": "application/pdf", "buffer": PDF}
        )
        applicant.click("form[data-upload] button[type=submit]")
        applicant.wait_for_selector(".upload-status:has-text('Uploaded.')")
        assert applicant.get_attribute("#upload-progress", "value") == "100"
        if kind == "security_policy":
            screenshot(applicant, "journey-03-upload-progress")
        applicant.wait_for_selector(f"#documents a:has-text('{name}')")
    screenshot(applicant, "journey-04-documents")
    applicant.click("main .actions >> text=Continue")
    assert applicant.locator("section.answer.ok").count() == 1  # nothing missing
    screenshot(applicant, "journey-05-summary")
    applicant.click("text=Submit the application")
    assert applicant.locator("[data-state]").get_attribute("data-state") == "submitted"
    screenshot(applicant, "journey-06-submitted")
    app = Application.objects.get(organisation=world["org_a"])

    officer = new_context().new_page()
    sign_in(officer, base, world["officer"].email, PASSWORD)
    officer.goto(f"{base}/staff/queue/")
    screenshot(officer, "journey-07-queue")
    officer.click(f"text={app.reference}")
    officer.click("text=Take for review")
    officer.check("input[value=request_information]")
    officer.click("text=Record the decision")
    assert officer.locator("#id_reason_error").is_visible()  # a decision needs a reason
    officer.check("input[value=request_information]")
    officer.fill("#id_reason", "Please name the data centres that host the gateways.")
    officer.click("text=Record the decision")
    assert (
        officer.locator("[data-state]").first.get_attribute("data-state") == "information_requested"
    )
    screenshot(officer, "journey-08-information-requested")

    applicant.goto(f"{base}/portal/")
    applicant.click("text=Answer now")
    assert "data centres" in applicant.locator("#respond").inner_text()
    applicant.fill("#id_response", "KHI-1 in Karachi and LHE-2 in Lahore.")
    screenshot(applicant, "journey-09-answer")
    applicant.click("text=Send the answer and resubmit")
    assert applicant.locator("[data-state]").get_attribute("data-state") == "resubmitted"

    officer.goto(f"{base}/staff/applications/{app.pk}/")
    officer.click("text=Take for review")
    officer.check("input[value=approve]")
    officer.fill("#id_reason", "Complete; gateways and policy in order.")
    officer.click("text=Record the decision")
    assert officer.locator("[data-state]").first.get_attribute("data-state") == "approved"
    screenshot(officer, "journey-10-approved")
    lic = Licence.objects.get(application=app)

    citizen = new_context().new_page()
    citizen.goto(f"{base}/register/?q=Falcon")
    row = citizen.locator("table.register tbody tr").first
    assert "Provider A Pvt Ltd" in row.inner_text() and lic.number in row.inner_text()
    screenshot(citizen, "journey-11-public-register")

    applicant.goto(f"{base}/portal/licences/{lic.pk}/certificate/")
    assert applicant.locator("figure.qr svg").count() == 1
    assert f"/v/{lic.verification_token}/" in applicant.locator("figure.qr").inner_text()
    screenshot(applicant, "journey-12-certificate")
    applicant.emulate_media(media="print")
    assert not applicant.locator("header.site").is_visible()  # printed without the site's chrome
    applicant.emulate_media(media="screen")

    # the certificate's address tells a scanner that a revoked licence is revoked
    services.licence_revoke(
        principal=principal(world["officer"]), licence=lic, reason="Test of the QR page."
    )
    citizen.goto(f"{base}/v/{lic.verification_token}/")
    assert citizen.locator("section.answer").get_attribute("data-status") == "revoked"
    screenshot(citizen, "journey-13-verify-revoked")

    # the same journey's key pages in Urdu read right to left
    for who, path, name in (
        (applicant, f"/ur/portal/applications/{app.pk}/", "urdu-1-application"),
        (applicant, f"/ur/portal/applications/{app.pk}/step/review/", "urdu-2-review"),
        (officer, f"/ur/staff/applications/{app.pk}/", "urdu-3-staff-application"),
        (officer, "/ur/staff/queue/", "urdu-4-queue"),
        (citizen, "/ur/register/?q=Falcon", "urdu-5-register"),
        (applicant, f"/ur/portal/licences/{lic.pk}/certificate/", "urdu-6-certificate"),
    ):
        who.goto(f"{base}{path}")
        assert _rtl(who), path
        screenshot(who, name)
