"""The site's own pages satisfy their Content-Security-Policy in a real browser: Chromium, with the
policy enforced (not bypassed as for the accessibility check), reports no violation on the public
pages, the portal's step pages with their script (autosave, upload progress), the certificate,
the back-office and the API docs."""

from __future__ import annotations

from typing import Any

import pytest

from cvas.licensing.models import Licence
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
LISTEN = """() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', e =>
    window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
}"""


def _watch(context: Any) -> tuple[Any, list[str]]:
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(f"({LISTEN})()")
    return page, console


def _violations(page: Any) -> list[str]:
    return list(page.evaluate("() => window.__csp || []"))


def test_no_page_breaks_its_own_content_security_policy(
    live_server: Any, world: dict[str, Any], complete_application: Any, new_context: Any
) -> None:
    base = live_server.url
    app = complete_application()
    licence = Licence.objects.first()
    assert licence is not None
    problems: dict[str, list[str]] = {}

    def visit(page: Any, console: list[str], path: str) -> None:
        page.goto(f"{base}{path}", wait_until="load")
        found = _violations(page) + console
        if found:
            problems[path] = sorted(set(found))
        console.clear()

    public, console = _watch(new_context(bypass_csp=False))
    for path in (
        "/",
        "/?q=Crest+VPN",
        "/register/",
        f"/register/id/{licence.pk}/",
        "/policy/",
        "/statistics/",
        f"/v/{licence.verification_token}/",
        "/ur/",
        "/accounts/login/",
        "/portal/sign-up/",
        "/api/v1/docs",
    ):
        visit(public, console, path)

    applicant, console = _watch(new_context(bypass_csp=False))
    sign_in(applicant, base, world["member_a"].email, PASSWORD)
    for path in (
        "/portal/",
        f"/portal/applications/{app.pk}/step/service/",
        f"/portal/applications/{app.pk}/step/documents/",
        f"/portal/applications/{app.pk}/step/review/",
        "/portal/returns/",
    ):
        visit(applicant, console, path)
    # the autosave script runs (and fetches) under the policy
    applicant.goto(f"{base}/portal/applications/{app.pk}/step/service/")
    applicant.fill("#id_service_description", "Typed under a strict policy.")
    applicant.wait_for_selector(".save-status:has-text('Saved at')")
    if _violations(applicant) or console:
        problems["autosave"] = _violations(applicant) + console

    officer, console = _watch(new_context(bypass_csp=False))
    sign_in(officer, base, world["officer"].email, PASSWORD)  # the second factor's page too
    for path in (
        "/staff/",
        "/staff/queue/",
        f"/staff/licences/{licence.pk}/",
        "/staff/compliance/",
    ):
        visit(officer, console, path)
    visit(officer, console, f"/portal/licences/{licence.pk}/certificate/")
    assert problems == {}
