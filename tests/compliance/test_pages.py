"""The plain pages: a licensee files and amends through the portal; staff read the dashboard and
decide violations; the public statistics page shows aggregates only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from cvas.compliance import services
from cvas.compliance.choices import Sanction, ViolationKind
from cvas.compliance.models import Return
from tests.compliance.conftest import on
from tests.conftest import principal

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def licence(issue_licence: Any) -> Any:
    return issue_licence(D(2026, 1, 10))


def _form(licence: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "period": f"{licence.pk}:2026-01-01:2026-03-31",
        "subscribers_it_company": "120",
        "subscribers_bank": "4",
        "new_subscriptions": "124",
        "ended_subscriptions": "0",
        "traffic_domestic_bytes": "9000000000000",
        "traffic_international_bytes": "3000000000000",
        "gateway_locations": "Karachi (KHI-1)\nLahore (LHE-2)",
        "incident-TOTAL_FORMS": "3",
        "incident-INITIAL_FORMS": "0",
        "incident-MIN_NUM_FORMS": "0",
        "incident-MAX_NUM_FORMS": "500",
    }
    data.update(extra)
    return data


def test_a_licensee_files_a_return_through_the_portal(
    world: Any, licence: Any, client_for: Any
) -> None:
    c = client_for(world["member_a"])
    with on(D(2026, 4, 10)):
        listing = c.get("/portal/returns/").content.decode()
        assert "2026-Q1" in listing and "File now" in listing and "Due" in listing
        page = c.get("/portal/returns/file/").content.decode()
        assert "2026-Q1, 2026-01-01 to 2026-03-31, due, due by 2026-04-30" in page
        r = c.post(
            "/portal/returns/file/",
            _form(
                licence,
                **{
                    "incident-0-date": "2026-02-02",
                    "incident-0-kind": "denial_of_service",
                    "incident-0-description": "Attack on the Karachi gateway",
                    "incident-0-resolved": "yes",
                },
            ),
        )
    assert r.status_code == 302, r.content.decode()[:3000]
    ret = Return.objects.get()
    assert r["Location"] == f"/portal/returns/{ret.pk}/"
    v = ret.versions.get()
    assert v.via == "portal" and v.gateway_locations == ["Karachi (KHI-1)", "Lahore (LHE-2)"]
    assert v.incidents == [
        {
            "date": "2026-02-02",
            "kind": "denial_of_service",
            "description": "Attack on the Karachi gateway",
            "resolved": True,
        }
    ]
    detail = c.get(r["Location"]).content.decode()
    assert "Estimated foreign-exchange cost" in detail and "3,000,000.00" in detail


def test_a_service_error_shows_next_to_its_field_and_files_nothing(
    world: Any, licence: Any, client_for: Any
) -> None:
    c = client_for(world["member_a"])
    with on(D(2026, 4, 10)):
        r = c.post(
            "/portal/returns/file/",
            _form(
                licence,
                **{
                    "incident-0-date": "2026-06-02",
                    "incident-0-kind": "malware",
                    "incident-0-description": "Outside the period",
                    "incident-0-resolved": "no",
                },
            ),
        )
    assert r.status_code == 200
    page = r.content.decode()
    assert "2026-06-02 is outside the period (2026-01-01 to 2026-03-31)" in page
    assert 'class="field has-error"' in page
    assert not Return.objects.exists()


OUTSIDE_THE_PERIOD = "%(day)s is outside the period (%(start)s to %(end)s)"


def test_the_urdu_portal_shows_a_service_error_in_urdu_next_to_its_field(
    world: Any, licence: Any, client_for: Any
) -> None:
    c = client_for(world["member_a"])
    with on(D(2026, 4, 10)):
        r = c.post(
            "/ur/portal/returns/file/",
            _form(
                licence,
                **{
                    "incident-0-date": "2026-06-02",
                    "incident-0-kind": "malware",
                    "incident-0-description": "Outside the period",
                    "incident-0-resolved": "no",
                },
            ),
        )
    assert r.status_code == 200
    page = r.content.decode()
    with translation.override("ur"):
        urdu = translation.gettext(OUTSIDE_THE_PERIOD) % {
            "day": "2026-06-02",
            "start": "2026-01-01",
            "end": "2026-03-31",
        }
    assert urdu in page
    assert "is outside the period" not in page
    assert not Return.objects.exists()


def test_the_portal_amends_and_shows_every_version(
    world: Any, licence: Any, client_for: Any
) -> None:
    c = client_for(world["member_a"])
    with on(D(2026, 4, 10)):
        c.post("/portal/returns/file/", _form(licence))
    ret = Return.objects.get()
    with on(D(2026, 4, 25)):
        form = c.get(f"/portal/returns/{ret.pk}/amend/").content.decode()
        assert 'value="3000000000000"' in form
        data = _form(licence, traffic_international_bytes="3500000000000", reason="Meter fault")
        del data["period"]
        r = c.post(f"/portal/returns/{ret.pk}/amend/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    detail = c.get(f"/portal/returns/{ret.pk}/").content.decode()
    assert "Current version</dt><dd>2 of 2" in detail
    assert "Meter fault" in detail and "first filing" in detail
    other = client_for(world["member_b"])
    assert other.get(f"/portal/returns/{ret.pk}/").status_code == 404
    assert other.get(f"/portal/returns/{ret.pk}/amend/").status_code == 404


def test_the_staff_dashboard_is_for_staff_with_charts_and_tables(
    world: Any, licence: Any, client_for: Any
) -> None:
    with on(D(2026, 5, 5)):
        page = client_for(world["compliance"]).get("/staff/compliance/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "1 Tbps for a minute is 7.5 TB, which the first" in text
        assert 'role="img"' in text and "<table" in text
        assert "Provider A Pvt Ltd" in text
        assert client_for(world["auditor"]).get("/staff/compliance/").status_code == 200
        assert client_for(world["member_a"]).get("/staff/compliance/").status_code == 404
        anonymous = Client().get("/staff/compliance/")
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        org = licence.holder_id
        assert (
            client_for(world["compliance"]).get(f"/staff/compliance/licensees/{org}/").status_code
            == 200
        )


def test_a_licensing_officer_decides_a_suspension_on_the_violation_page(
    world: Any, licence: Any, client_for: Any
) -> None:
    with on(D(2026, 6, 1)):
        v = services.violation_record(
            principal=principal(world["compliance"]),
            licence=licence,
            kind=ViolationKind.MISSING_RETURN,
            occurred_on=D(2026, 5, 1),
            evidence="No return for 2026-Q1",
            sanction=Sanction.SUSPENSION,
            reason="Missing return",
        )
        officer = client_for(world["officer"])
        page = officer.get(f"/staff/compliance/violations/{v.pk}/").content.decode()
        assert "Record the decision" in page
        r = officer.post(
            f"/staff/compliance/violations/{v.pk}/decide/",
            {"decision": "impose", "reason": "Until the returns are filed"},
        )
        assert r.status_code == 302
        # An auditor reads the page but is offered no action, and a forged post changes nothing.
        auditor = client_for(world["auditor"])
        assert (
            "Record the decision"
            not in auditor.get(f"/staff/compliance/violations/{v.pk}/").content.decode()
        )
        r = auditor.post(
            f"/staff/compliance/violations/{v.pk}/dismiss/", {"reason": "forged"}, follow=True
        )
        assert "This needs one of the roles: compliance_officer" in r.content.decode()
    v.refresh_from_db()
    assert v.state == "sanctioned"
    licence.refresh_from_db()
    assert licence.status == "suspended"


def test_the_public_statistics_page_shows_the_compliance_sections(
    world: Any, issue_licence: Any, settings: Any
) -> None:
    settings.CVAS_STATS_MIN_CONTRIBUTORS = 1
    lic = issue_licence(D(2026, 1, 10))
    with on(D(2026, 4, 10)):
        services.return_file(
            principal=principal(world["member_a"]),
            licence=lic,
            period_start=D(2026, 1, 1),
            period_end=D(2026, 3, 31),
            data={
                "subscribers": {"bank": 9},
                "new_subscriptions": 9,
                "ended_subscriptions": 0,
                "traffic_domestic_bytes": 1,
                "traffic_international_bytes": 1,
            },
        )
        page = Client().get("/statistics/").content.decode()
    assert "Licensed VPN providers, quarter by quarter" in page
    assert "Subscribers by category, period by period" in page
