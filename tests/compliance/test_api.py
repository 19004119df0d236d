"""The compliance API with the roles of DESIGN.md: a licensee sees and files only its own returns;
compliance officers and auditors see all; auditors change nothing; the statistics are public."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cvas.compliance.models import Return
from tests.compliance.conftest import figures, on
from tests.conftest import api_key_for, bearer

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def licences(issue_licence: Any) -> tuple[Any, Any]:
    a = issue_licence(D(2026, 1, 10))
    b = issue_licence(D(2026, 1, 10), org="org_b", member="member_b", brand="Bolan Secure VPN")
    return a, b


def _post_return(client: Client, licence: Any, headers: dict[str, str], **data: Any) -> Any:
    body = {
        "licence_id": licence.pk,
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        **figures(),
        **data,
    }
    return client.post("/api/v1/returns", body, content_type="application/json", **headers)


def test_a_licensee_files_with_its_api_key_and_reads_the_estimate(
    world: Any, licences: Any
) -> None:
    a, _ = licences
    with on(D(2026, 4, 20)):
        _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
        r = _post_return(Client(), a, bearer(token))
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["period"], body["due_on"], body["filed_late"], body["current_version"]) == (
        "2026-Q1",
        "2026-04-30",
        False,
        1,
    )
    assert body["current"]["via"] == "api"
    assert body["international_share"] == 0.25
    # 3 TB at 1 USD per MB; 3 TB over 90 days = 24e12 bits / 7,776,000 s, x 129,600 min x 10,000 USD.
    assert body["estimate"]["volume_model_usd"] == 3_000_000.0
    assert body["estimate"]["rate_model_usd"] == 4_000.0
    assert body["estimate"]["usd_to_pkr_is_assumption"] is True
    assert [v["version"] for v in body["versions"]] == [1]


def test_bad_input_is_a_422_naming_each_field(world: Any, licences: Any) -> None:
    a, _ = licences
    with on(D(2026, 4, 20)):
        _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
        r = _post_return(Client(), a, bearer(token), new_subscriptions=-5, colour="blue")
    assert r.status_code == 422
    fields = {d["field"] for d in r.json()["error"]["details"]}
    assert "colour" in fields
    with on(D(2026, 4, 20)):
        r = _post_return(Client(), a, bearer(token), new_subscriptions=-5)
    assert r.status_code == 422
    assert r.json()["error"]["details"] == [
        {
            "field": "new_subscriptions",
            "reason": "-5 is negative; subscriptions that began in the period must be 0 or more",
        }
    ]
    assert Return.objects.count() == 0


def test_another_licensees_returns_are_404(world: Any, licences: Any, client_for: Any) -> None:
    a, b = licences
    with on(D(2026, 4, 20)):
        ra = _post_return(client_for(world["member_a"]), a, {})
        assert ra.status_code == 201, ra.content
        rb = _post_return(client_for(world["member_b"]), b, {})
        assert rb.status_code == 201
        b_client = client_for(world["member_b"])
        own = b_client.get("/api/v1/returns").json()
        assert [x["holder"] for x in own["items"]] == ["Provider B Pvt Ltd"]
        ra_id = ra.json()["id"]
        for path in (f"/api/v1/returns/{ra_id}", f"/api/v1/returns/{ra_id}/csv"):
            r = b_client.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        amend = b_client.post(
            f"/api/v1/returns/{ra_id}/amendments",
            {**figures(), "reason": "x"},
            content_type="application/json",
        )
        assert amend.status_code == 404
        # Filing for the other licensee's licence is refused as if the licence did not exist.
        assert _post_return(b_client, a, {}).status_code == 404
        export = b_client.get("/api/v1/returns/export.csv").content.decode()
        assert "Provider A" not in export and "Provider B" in export
        deadlines = b_client.get("/api/v1/returns/obligations").json()
        assert {d["holder"] for d in deadlines} == {"Provider B Pvt Ltd"}


def test_compliance_officers_and_auditors_see_all_and_auditors_change_nothing(
    world: Any, licences: Any, client_for: Any
) -> None:
    a, b = licences
    with on(D(2026, 4, 20)):
        _post_return(client_for(world["member_a"]), a, {})
        _post_return(client_for(world["member_b"]), b, {})
        for who in ("compliance", "auditor"):
            c = client_for(world[who])
            holders = {x["holder"] for x in c.get("/api/v1/returns").json()["items"]}
            assert holders == {"Provider A Pvt Ltd", "Provider B Pvt Ltd"}
            assert c.get("/api/v1/compliance/dashboard").status_code == 200
        auditor = client_for(world["auditor"])
        r = auditor.post(
            "/api/v1/violations",
            {"licence_id": a.pk, "kind": "other", "occurred_on": "2026-04-01", "evidence": "x"},
            content_type="application/json",
        )
        assert r.status_code == 403
        r = auditor.put(
            "/api/v1/compliance/cost-model/price_per_mb_usd",
            {"value": "2", "source": "x"},
            content_type="application/json",
        )
        assert r.status_code == 403
        # Staff cannot file or amend a licensee's return either.
        assert _post_return(auditor, a, {}).status_code in (403, 404)
        licensee = client_for(world["member_a"])
        assert licensee.get("/api/v1/compliance/dashboard").status_code == 403
        assert licensee.get("/api/v1/violations").status_code == 403


def test_the_dashboard_counts_due_late_missing_expiring_and_open_violations(
    world: Any, licences: Any, client_for: Any
) -> None:
    a, b = licences
    type(a).objects.filter(pk=b.pk).update(expires_on=D(2026, 8, 20))
    with on(D(2026, 7, 31)):
        _post_return(client_for(world["member_a"]), a, {})
        c = client_for(world["compliance"])
        r = c.post(
            "/api/v1/violations",
            {
                "licence_id": b.pk,
                "kind": "missing_return",
                "occurred_on": "2026-07-31",
                "evidence": "Q1 not filed",
                "sanction": "fine",
                "fine_amount_pkr": "100000",
                "reason": "missing",
            },
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        d = c.get("/api/v1/compliance/dashboard").json()
    mine = {
        (o["holder"], o["period"])
        for key in ("due", "late", "missing")
        for o in d[key]
        if "Provider" in o["holder"]
    }
    assert mine == {
        ("Provider A Pvt Ltd", "2026-Q2"),
        ("Provider B Pvt Ltd", "2026-Q1"),
        ("Provider B Pvt Ltd", "2026-Q2"),
    }
    assert {o["holder"]: o["state"] for o in d["missing"] if "Provider" in o["holder"]} == {
        "Provider B Pvt Ltd": "missing"
    }
    assert [(e["holder"], e["days_left"], e["threshold"]) for e in d["expiring"]] == [
        ("Provider B Pvt Ltd", 20, 30)
    ]
    assert [v["holder"] for v in d["open_violations"]] == ["Provider B Pvt Ltd"]
    assert d["counts"]["open_violations"] == 1
    assert "7.5 TB" in d["cost_model"]["statement"]
    assert d["cost_model"]["tbps_minute_volume_model_usd"] == 7_500_000.0
    assert d["cost_model"]["tbps_minute_rate_model_usd"] == 10_000.0
    latest = {x["name"]: x["latest"] for x in d["licensees"]}
    assert latest["Provider A Pvt Ltd"]["period"] == "2026-Q1"
    assert latest["Provider B Pvt Ltd"] is None


def test_a_return_round_trips_through_its_csv_form(
    world: Any, licences: Any, client_for: Any
) -> None:
    a, _ = licences
    c = client_for(world["member_a"])
    content = (
        "\ufeffrecord,key,value,date,description,resolved\r\n"
        "period,start,2026-01-01,,,\r\nperiod,end,2026-03-31,,,\r\n"
        "subscribers,bank,12,,,\r\nsubscribers,it_company,140,,,\r\n"
        "subscriptions,new,152,,,\r\nsubscriptions,ended,0,,,\r\n"
        "traffic,domestic_bytes,1200000000000,,,\r\ntraffic,international_bytes,800000000000,,,\r\n"
        "gateway,location,Karachi (KHI-1),,,\r\n"
        'incident,denial_of_service,,2026-02-02,"Volumetric attack, Karachi gateway",yes\r\n'
    ).encode()
    with on(D(2026, 4, 20)):
        r = c.post(
            "/api/v1/returns/csv",
            {"licence_id": a.pk, "file": SimpleUploadedFile("q1.csv", content, "text/csv")},
        )
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["current"]["via"] == "csv"
        assert body["current"]["subscribers"] == {"bank": 12, "it_company": 140}
        assert body["current"]["incidents"] == [
            {
                "date": "2026-02-02",
                "kind": "denial_of_service",
                "description": "Volumetric attack, Karachi gateway",
                "resolved": True,
            }
        ]
        download = c.get(f"/api/v1/returns/{body['id']}/csv").content
        edited = download.replace(b"subscribers,bank,12", b"subscribers,bank,14").replace(
            b"subscriptions,new,152", b"subscriptions,new,154"
        )
        r = c.post(
            f"/api/v1/returns/{body['id']}/amendments/csv",
            {
                "reason": "Two banks were missed",
                "file": SimpleUploadedFile("q1.csv", edited, "text/csv"),
            },
        )
    assert r.status_code == 201, r.content
    versions = r.json()["versions"]
    assert [(v["version"], v["subscribers"]["bank"]) for v in versions] == [(1, 12), (2, 14)]
    assert versions[1]["incidents"] == versions[0]["incidents"]


def test_a_bad_csv_names_each_line_and_column_and_files_nothing(
    world: Any, licences: Any, client_for: Any
) -> None:
    a, _ = licences
    content = (
        b"record,key,value,date,description,resolved\n"
        b"period,start,2026-01-01,,,\nperiod,end,2026-03-31,,,\n"
        b"subscribers,bank,-2,,,\nsubscribers,bank,3,,,\n"
        b"subscriptions,new,x,,,\nsubscriptions,ended,0,,,\n"
        b"traffic,domestic_bytes,1,,,\ntraffic,international_bytes,1,,,\n"
        b"weather,today,sunny,,,\n"
    )
    with on(D(2026, 4, 20)):
        r = client_for(world["member_a"]).post(
            "/api/v1/returns/csv",
            {"licence_id": a.pk, "file": SimpleUploadedFile("q1.csv", content, "text/csv")},
        )
    assert r.status_code == 422
    details = r.json()["error"]["details"]
    assert {
        "line": 5,
        "column": "key",
        "reason": "subscribers,bank is given twice (first on line 4)",
    } in details
    assert any(d["line"] == 10 and d["column"] == "record" for d in details)
    # Structural problems come first; once the file reads, the figures are checked by line.
    fixed = content.replace(b"subscribers,bank,3,,,\n", b"").replace(
        b"weather,today,sunny,,,\n", b""
    )
    with on(D(2026, 4, 20)):
        r = client_for(world["member_a"]).post(
            "/api/v1/returns/csv",
            {"licence_id": a.pk, "file": SimpleUploadedFile("q1.csv", fixed, "text/csv")},
        )
    assert r.status_code == 422
    by_line = {(d["line"], d["column"]): d["reason"] for d in r.json()["error"]["details"]}
    assert by_line[(4, "value")] == "-2 is negative; the number of subscribers must be 0 or more"
    assert by_line[(5, "value")] == "'x' is not a whole number"
    assert "line 4, column value (subscribers.bank)" in r.json()["error"]["message"]
    assert Return.objects.count() == 0


def test_exports_are_csv_with_the_estimates(world: Any, licences: Any, client_for: Any) -> None:
    a, _ = licences
    with on(D(2026, 5, 2)):
        _post_return(client_for(world["member_a"]), a, {})
        c = client_for(world["compliance"])
        rows = list(
            csv.DictReader(io.StringIO(c.get("/api/v1/returns/export.csv").content.decode()))
        )
        deadlines = list(
            csv.DictReader(
                io.StringIO(c.get("/api/v1/returns/obligations.csv?state=late").content.decode())
            )
        )
        violations = c.get("/api/v1/violations/export.csv")
    assert [
        (r["holder"], r["period"], r["volume_model_usd"], r["rate_model_usd"]) for r in rows
    ] == [("Provider A Pvt Ltd", "2026-Q1", "3000000.00", "4000.00")]
    assert {(d["holder"], d["period"]) for d in deadlines} >= {("Provider B Pvt Ltd", "2026-Q1")}
    assert all(d["state"] == "late" for d in deadlines)
    assert violations.status_code == 200 and violations.content.startswith(b"reference,")


def test_public_statistics_hold_no_single_licensees_figures(
    world: Any, licences: Any, client_for: Any, settings: Any
) -> None:
    a, b = licences
    with on(D(2026, 4, 20)):
        _post_return(client_for(world["member_a"]), a, {})
        _post_return(client_for(world["member_b"]), b, {}, subscribers={"bank": 7})
        stats = Client().get("/api/v1/statistics").json()
    (q1,) = stats["subscribers_by_category"]
    assert q1["contributors"] == 2 and q1["suppressed"] is True
    assert q1["categories"] == {} and q1["total"] is None
    assert stats["licensed_providers"][-1] == {
        "date": "2026-04-20",
        "licensed_providers": 7,
        "of_which_demo": 0,
    }
    settings.CVAS_STATS_MIN_CONTRIBUTORS = 2
    with on(D(2026, 4, 20)):
        (q1,) = Client().get("/api/v1/statistics").json()["subscribers_by_category"]
    assert q1["categories"] == {"bank": 11, "individual": 30, "it_company": 120}
    text = str(Client().get("/api/v1/statistics").json())
    assert "Provider A" not in text and "3000000000000" not in text
