"""Imports through the API (202, the worker, the outcome) and `cvas import`; who may see what."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from cvas.registry import services
from cvas.registry.models import EndpointRegistration, Subscriber
from tests.conftest import api_key_for, bearer, principal
from tests.registry.conftest import csv_bytes

EP = "ref,prefix,holder_name,holder_type"


@pytest.mark.django_db(transaction=True)
def test_an_import_sent_to_the_api_answers_202_and_the_worker_processes_it(
    licence: Any, world: dict[str, Any], client: Any
) -> None:
    _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    upload = SimpleUploadedFile(
        "gateways.csv", csv_bytes(EP, ["gw-1,39.32.10.0/24,Provider A Pvt Ltd,organisation"])
    )
    r = client.post(
        "/api/v1/imports",
        {"licence": licence.number.replace("/", "-"), "kind": "endpoints", "file": upload},
        **bearer(token),
    )
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "queued" and body["job_id"]
    assert EndpointRegistration.objects.count() == 0
    call_command("worker", "--batch", verbosity=0)
    done = client.get(f"/api/v1/imports/{body['id']}", **bearer(token)).json()
    assert done["status"] == "succeeded" and done["created"] == 1, done
    assert len(done["file_sha256"]) == 64
    # another organisation's member is told it does not exist
    _, other = api_key_for(world["member_b"], world["org_b"], ["read", "write"])
    assert client.get(f"/api/v1/imports/{body['id']}", **bearer(other)).status_code == 404
    bad = SimpleUploadedFile("bad.csv", csv_bytes(EP, ["x,10.0.0.0/8,A,organisation"]))
    r = client.post(
        "/api/v1/imports",
        {"licence": licence.number, "kind": "endpoints", "file": bad},
        **bearer(other),
    )
    assert r.status_code == 404


@pytest.mark.django_db
def test_a_member_of_another_organisation_is_refused(
    licence: Any, world: dict[str, Any], client: Any
) -> None:
    p = principal(world["member_a"])
    sub, _ = services.subscriber_save(
        principal=p,
        licence=licence,
        data={
            "ref": "S-1",
            "subscriber_type": "organisation",
            "category": "bank",
            "name": "Habib Bank",
            "ntn": "1234567-8",
            "start_date": "2025-03-01",
        },
    )
    reg, _ = services.endpoint_save(
        principal=p,
        licence=licence,
        data={
            "ref": "gw",
            "prefix": "39.32.10.0/24",
            "holder_name": "A",
            "holder_type": "organisation",
        },
    )
    _, other = api_key_for(world["member_b"], world["org_b"], ["read", "write"])
    assert client.get(f"/api/v1/subscribers/{sub.pk}", **bearer(other)).status_code == 404
    assert client.get(f"/api/v1/endpoints/{reg.handle}", **bearer(other)).status_code == 404
    assert client.get("/api/v1/subscribers", **bearer(other)).json()["count"] == 0
    assert (
        client.post(
            f"/api/v1/endpoints/{reg.handle}/end",
            {},
            content_type="application/json",
            **bearer(other),
        ).status_code
        == 404
    )
    r = client.post(
        "/api/v1/subscribers",
        {
            "licence": licence.number,
            "ref": "S-9",
            "subscriber_type": "organisation",
            "category": "bank",
            "name": "Intruder Bank",
            "ntn": "7654321-0",
            "start_date": "2025-03-01",
        },
        content_type="application/json",
        **bearer(other),
    )
    assert r.status_code == 404
    assert Subscriber.objects.count() == 1
    # staff read it; the owner sees it
    _, auditor = api_key_for(world["auditor"], None, ["read"])
    assert client.get(f"/api/v1/endpoints/{reg.handle}", **bearer(auditor)).status_code == 200


@pytest.mark.django_db
def test_the_api_refuses_a_subscriber_the_regime_does_not_permit(
    licence: Any, world: dict[str, Any], client: Any
) -> None:
    _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    body = {
        "licence": str(licence.pk),
        "ref": "I-1",
        "subscriber_type": "individual",
        "category": "individual",
        "name": "Ayesha Khan",
        "cnic": "35202-1234567-1",
        "start_date": "2025-03-01",
    }
    r = client.post("/api/v1/subscribers", body, content_type="application/json", **bearer(token))
    assert r.status_code == 422
    assert (
        "not permitted under the regime 'CVAS-Data class licence for VPN providers: commercial clients only'"
        in r.json()["error"]["message"]
    )
    body["start_date"] = "2025-12-01"
    r = client.post("/api/v1/subscribers", body, content_type="application/json", **bearer(token))
    assert r.status_code == 201 and r.json()["name"] is None


@pytest.mark.django_db
def test_cvas_import_exits_non_zero_on_a_bad_file_and_imports_a_good_one(
    licence: Any, tmp_path: Any
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes(
            EP, ["gw-1,39.32.10.0/24,A Ltd,organisation", "gw-2,39.32.10.0/25,A Ltd,organisation"]
        )
    )
    out = StringIO()
    with pytest.raises(CommandError, match="refused"):
        call_command("import", "endpoints", str(bad), "--licence", licence.number, stdout=out)
    assert (
        "line 3, prefix: 39.32.10.0/25 overlaps 39.32.10.0/24 on line 2 (ref gw-1)"
        in out.getvalue()
    )
    assert EndpointRegistration.objects.count() == 0
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(EP, ["gw-1,39.32.10.0/24,A Ltd,organisation"]))
    out = StringIO()
    call_command(
        "import", "endpoints", str(good), "--licence", licence.number, "--progress", stdout=out
    )
    assert "succeeded" in out.getvalue() and "1 created" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_an_import_sent_from_the_page_is_run_by_the_worker_and_its_errors_shown(
    licence: Any, world: dict[str, Any], client_for: Any
) -> None:
    page = client_for(world["member_a"])
    upload = SimpleUploadedFile("bad.csv", csv_bytes(EP, ["gw-1,39.32.10.9/24,A Ltd,organisation"]))
    r = page.post(
        "/registry/imports/", {"licence": licence.pk, "kind": "endpoints", "file": upload}
    )
    assert r.status_code == 302
    call_command("worker", "--batch", verbosity=0)
    shown = page.get(r["Location"]).content.decode()
    assert "Refused" in shown and "host bits set; did you mean 39.32.10.0/24?" in shown
    assert client_for(world["member_b"]).get(r["Location"]).status_code == 404
