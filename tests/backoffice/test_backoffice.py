"""The back-office: who may enter, the review queue, decisions that need a reason, licence actions
with a confirmation step, the audit browser and the administration of regimes and roles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from cvas.accounts.models import StaffRoleGrant
from cvas.licensing import services
from cvas.licensing.choices import ApplicationState, LicenceStatus
from cvas.licensing.models import Licence, Regime
from tests.conftest import principal

pytestmark = pytest.mark.django_db


def _submitted(world: dict[str, Any], complete_application: Any) -> Any:
    app = complete_application()
    services.application_submit(principal=principal(world["member_a"]), application=app)
    return app


def test_only_regulator_staff_enter_the_back_office(world: dict[str, Any], client_for: Any) -> None:
    assert Client().get("/staff/")["Location"].startswith("/accounts/login/")
    assert client_for(world["member_a"]).get("/staff/queue/").status_code == 404
    assert client_for(world["auditor"]).get("/staff/queue/").status_code == 200
    assert client_for(world["officer"]).get("/staff/users/").status_code == 403
    assert client_for(world["admin"]).get("/staff/users/").status_code == 200


def test_the_queue_shows_age_and_assignee_and_filters(
    world: dict[str, Any], client_for: Any, complete_application: Any
) -> None:
    app = _submitted(world, complete_application)
    client = client_for(world["officer"])
    page = client.get("/staff/queue/").content.decode()
    assert app.reference in page and "nobody" in page
    client.post(f"/staff/applications/{app.pk}/take/")
    mine = client.get("/staff/queue/", {"assignee": "me"}).content.decode()
    assert app.reference in mine and "officer@regulator.test" in mine
    assert app.reference not in client.get("/staff/queue/", {"assignee": "none"}).content.decode()


def test_a_decision_needs_a_reason_and_approval_issues_the_licence(
    world: dict[str, Any], client_for: Any, complete_application: Any
) -> None:
    app = _submitted(world, complete_application)
    client = client_for(world["officer"])
    client.post(f"/staff/applications/{app.pk}/take/")
    refused = client.post(
        f"/staff/applications/{app.pk}/decide/", {"decision": "approve", "reason": ""}
    )
    assert refused.status_code == 422 and 'id="id_reason_error"' in refused.content.decode()
    app.refresh_from_db()
    assert app.state == ApplicationState.UNDER_REVIEW
    client.post(
        f"/staff/applications/{app.pk}/decide/",
        {"decision": "approve", "reason": "Complete and in order."},
    )
    app.refresh_from_db()
    assert app.state == ApplicationState.APPROVED
    assert Licence.objects.get(application=app).status == LicenceStatus.ACTIVE


def test_an_auditor_reads_but_cannot_decide(
    world: dict[str, Any], client_for: Any, complete_application: Any
) -> None:
    app = _submitted(world, complete_application)
    client = client_for(world["auditor"])
    page = client.get(f"/staff/applications/{app.pk}/").content.decode()
    assert app.reference in page and "Record the decision" not in page
    assert client.post(f"/staff/applications/{app.pk}/take/").status_code == 403


def test_a_licence_action_is_confirmed_before_it_is_taken(
    world: dict[str, Any], client_for: Any, complete_application: Any
) -> None:
    app = _submitted(world, complete_application)
    officer = principal(world["officer"])
    services.application_take(principal=officer, application=app)
    lic = services.application_approve(principal=officer, application=app, reason="Complete.")
    client = client_for(world["officer"])
    url = f"/staff/licences/{lic.pk}/action/"
    confirm = client.post(url, {"action": "revoke", "reason": "Serious breach."})
    assert "Yes: Revoke" in confirm.content.decode()
    lic.refresh_from_db()
    assert lic.status == LicenceStatus.ACTIVE
    client.post(url, {"action": "revoke", "reason": "Serious breach.", "confirmed": "1"})
    lic.refresh_from_db()
    assert lic.status == LicenceStatus.REVOKED
    again = client.post(url, {"action": "suspend", "reason": "x", "confirmed": "1"})
    assert again.status_code == 422 and "revoked" in again.content.decode()


def test_the_audit_browser_filters_by_actor_object_and_date(
    world: dict[str, Any], client_for: Any, complete_application: Any
) -> None:
    app = _submitted(world, complete_application)
    client = client_for(world["auditor"])
    page = client.get(
        "/staff/audit/", {"object_type": "licensing.application", "object_id": app.pk}
    ).content.decode()
    assert "application.submitted" in page and "application.create" in page
    assert '<td class="before"><code>draft</code></td>' in page
    by_actor = client.get("/staff/audit/", {"actor": "a@provider-a.test"}).content.decode()
    assert "application.submitted" in by_actor and "regime.create" not in by_actor
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert "No event matches." in client.get("/staff/audit/", {"since": tomorrow}).content.decode()


def test_administrators_edit_regimes_and_bad_input_is_shown_at_the_field(
    world: dict[str, Any], client_for: Any
) -> None:
    client = client_for(world["admin"])
    regime = Regime.objects.get(code="cvas-data-2025")
    page = client.get(f"/staff/regimes/{regime.code}/").content.decode()
    assert regime.name_en in page
    form = {
        "name_en": regime.name_en,
        "name_ur": regime.name_ur,
        "effective_from": "2025-11-13",
        "licence_validity_years": "20",
        "return_period": "quarterly",
        "return_deadline_days": "30",
        "fees": "{not json",
        "licensing_open": "on",
    }
    bad = client.post(f"/staff/regimes/{regime.code}/", form)
    assert bad.status_code == 422 and 'id="id_fees_error"' in bad.content.decode()
    form["fees"] = '{"application_fee_pkr": 150000}'
    assert client.post(f"/staff/regimes/{regime.code}/", form).status_code == 302
    regime.refresh_from_db()
    assert regime.licence_validity_years == 20 and regime.fees == {"application_fee_pkr": 150000}
    overlap = client.post(
        "/staff/regimes/new/", {**form, "code": "clash", "effective_from": "2026-01-01"}
    )
    assert "overlaps" in overlap.content.decode()
    assert client_for(world["officer"]).get(f"/staff/regimes/{regime.code}/").status_code == 403


def test_administrators_grant_and_revoke_staff_roles(
    world: dict[str, Any], client_for: Any
) -> None:
    client = client_for(world["admin"])
    target = world["compliance"]
    client.post(f"/staff/users/{target.pk}/roles/", {"roles": ["compliance_officer", "auditor"]})
    assert set(StaffRoleGrant.objects.filter(user=target).values_list("role", flat=True)) == {
        "compliance_officer",
        "auditor",
    }
    client.post(f"/staff/users/{world['admin'].pk}/roles/", {"roles": []})
    assert StaffRoleGrant.objects.filter(user=world["admin"], role="administrator").exists()
    made = client.post(
        "/staff/users/new/",
        {
            "email": "new.officer@regulator.test",
            "full_name": "New Officer",
            "role": "licensing_officer",
            "password": "a long enough secret 42",
        },
    )
    assert made.status_code == 302
