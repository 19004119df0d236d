"""The canary: identity and mobile numbers (and an individual's name) entered through the registry's
own doors never appear in clear in a full database dump (pg_dump on PostgreSQL; the file's bytes
and iterdump() on SQLite), the logs (SQL with its parameters included), the audit trail, the
exports, error reports or any public response, while exact lookups by them still work for the
roles allowed and for no one else."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from cvas.audit.models import AuditEvent
from cvas.licensing import services as licensing
from cvas.registry import api as registry_api
from cvas.registry import services as registry
from tests.conftest import api_key_for, bearer, principal

CNIC = "42101-9988776-5"
SECOND_CNIC = "35202-7766554-3"  # from a bulk import
PORTAL_CNIC = "61101-5544332-1"  # the responsible person of a legacy-portal request
MSISDN = "+923459988776"
NAME = "Zarghuna Qizilbash"


def forms() -> list[str]:
    out = []
    for cnic in (CNIC, SECOND_CNIC, PORTAL_CNIC):
        out += [cnic, cnic.replace("-", "")]
    out += [MSISDN, MSISDN[1:], "0" + MSISDN[3:], MSISDN[3:], NAME, NAME.split()[1]]
    return out


def assert_no_canary(label: str, data: bytes | str) -> None:
    raw = data if isinstance(data, bytes) else data.encode()
    lowered = raw.lower()
    found = []
    for form in forms():
        b = form.encode()
        for shape in (b, b.lower(), b.hex().encode(), form.encode("utf-16-le")):
            if shape.lower() in lowered:
                found.append(form)
    assert not found, f"{label} holds {sorted(set(found))} in clear"


def database_dump() -> dict[str, bytes]:
    """What someone with a copy of the database has: the whole dump, as the tools make it."""
    info = connection.settings_dict
    if connection.vendor == "postgresql":
        env = {**os.environ, "PGPASSWORD": str(info.get("PASSWORD") or "")}
        result = subprocess.run(
            [  # noqa: S607 - the PostgreSQL client tools from the system's PATH
                "pg_dump",
                "--no-owner",
                "-h",
                str(info.get("HOST") or "127.0.0.1"),
                "-p",
                str(info.get("PORT") or 5432),
                "-U",
                str(info.get("USER") or "postgres"),
                str(info["NAME"]),
            ],
            capture_output=True,
            env=env,
            check=True,
            timeout=120,
        )
        assert b"registry_subscriber" in result.stdout
        return {"pg_dump": result.stdout}
    path = Path(info["NAME"])
    connection.close()  # so that the write-ahead log is readable as it stands
    files = {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}
    with sqlite3.connect(path) as db:
        files["iterdump"] = "\n".join(db.iterdump()).encode()
    assert b"registry_subscriber" in files["iterdump"]
    return files


@pytest.mark.django_db(transaction=True)
def test_canaries_are_nowhere_in_clear_yet_exact_lookups_find_them_for_the_allowed_roles(
    world: dict[str, Any], complete_application: Any, caplog: Any, settings: Any, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # every SQL statement and its parameters is logged
    try:
        _scenario(world, complete_application, tmp_path)
    finally:
        connection.force_debug_cursor = False
    assert "registry_subscriber" in caplog.text  # the SQL was logged
    assert_no_canary("the logs", caplog.text)
    for name, data in database_dump().items():
        assert_no_canary(f"the database ({name})", data)


def _scenario(world: dict[str, Any], complete_application: Any, tmp_path: Path) -> None:
    a, officer = principal(world["member_a"]), principal(world["officer"])
    app = complete_application()
    licensing.application_submit(principal=a, application=app)
    licensing.application_take(principal=officer, application=app)
    licence = licensing.application_approve(principal=officer, application=app, reason="ok")
    _, key = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    member = Client(raise_request_exception=False, **bearer(key))

    def post(url: str, payload: dict[str, Any]) -> Any:
        return member.post(url, json.dumps(payload), content_type="application/json")

    # -- entered through the API, the bulk import and the legacy portal --------------------
    subscriber = {
        "licence": str(licence.pk),
        "ref": "S-CANARY",
        "subscriber_type": "individual",
        "category": "individual",
        "name": NAME,
        "cnic": CNIC,
        "start_date": "2025-12-01",
    }
    assert post("/api/v1/subscribers", subscriber).status_code == 201
    endpoint = {
        "licence": str(licence.pk),
        "ref": "M-CANARY",
        "msisdn": "0" + MSISDN[3:],
        "holder_name": NAME,
        "holder_type": "individual",
        "subscriber_ref": "S-CANARY",
    }
    assert post("/api/v1/endpoints", endpoint).status_code == 201
    csv = (
        "ref,subscriber_type,category,name,cnic,start_date\n"
        f"S-IMPORTED,individual,individual,{NAME},{SECOND_CNIC},2025-12-02\n"
    ).encode()
    sent = member.post(
        "/api/v1/imports",
        {
            "licence": str(licence.pk),
            "kind": "subscribers",
            "file": SimpleUploadedFile("s.csv", csv),
        },
    )
    assert sent.status_code == 202, sent.content
    call_command("worker", "--batch", verbosity=0)
    assert member.get(f"/api/v1/imports/{sent.json()['id']}").json()["status"] == "succeeded"
    assert not any(p.is_file() for p in (Path(settings.MEDIA_ROOT) / "imports").glob("*"))
    import datetime as dt

    with (
        mock.patch.object(registry, "pk_today", lambda: dt.date(2024, 6, 1)),
        mock.patch.object(registry_api, "pk_today", lambda: dt.date(2024, 6, 1)),
    ):
        registry.portal_request_create(
            principal=a,
            applicant=world["org_a"],
            isp=world["isp"],
            responsible_name=NAME,
            responsible_cnic=PORTAL_CNIC,
            addresses=[MSISDN],
        )

    # -- error reports: refused input and a failure on our side, with the canary in the body ----
    bad = post("/api/v1/subscribers", {**subscriber, "ref": "S-BAD", "category": "bank"})
    assert bad.status_code in (409, 422)
    assert_no_canary("a validation error", bad.content)
    with mock.patch.object(registry, "subscriber_save", side_effect=RuntimeError("boom")):
        failed = post("/api/v1/subscribers", {**subscriber, "ref": "S-FAIL"})
    assert failed.status_code == 500
    assert_no_canary("an error report", failed.content)

    # -- exact lookups: the licensee and regulator staff find them; no one else does ---------
    def lookups(client: Client) -> tuple[list[str], list[str]]:
        subs = client.post(
            "/api/v1/subscribers/lookup",
            json.dumps({"cnic": CNIC.replace("-", "")}),
            content_type="application/json",
        )
        phones = client.post(
            "/api/v1/endpoints/lookup",
            json.dumps({"msisdn": MSISDN}),
            content_type="application/json",
        )
        assert_no_canary("a lookup's answer", subs.content + phones.content)
        if subs.status_code != 200:
            return [str(subs.status_code)], [str(phones.status_code)]
        refs = [i["ref"] for i in phones.json()["items"] if i["ref"]]  # the portal's has none
        return [i["ref"] for i in subs.json()["items"]], refs

    assert lookups(member) == (["S-CANARY"], ["M-CANARY"])
    auditor = Client()
    auditor.force_login(world["auditor"])
    assert lookups(auditor) == (["S-CANARY"], ["M-CANARY"])
    _, other_key = api_key_for(world["member_b"], world["org_b"], ["read"])
    assert lookups(Client(**bearer(other_key))) == ([], [])
    _, noc_key = api_key_for(world["operator"], world["isp"], ["read", "lookup"])
    assert lookups(Client(**bearer(noc_key))) == ([], [])
    assert lookups(Client()) == (["401"], ["401"])

    # -- the audit trail ---------------------------------------------------------------------
    events = AuditEvent.objects.all()
    assert events.filter(action__startswith="subscriber").exists()
    for event in events:
        assert_no_canary(
            f"audit event {event.seq} ({event.action})",
            json.dumps([event.before, event.after, event.object_repr, event.reason], default=str),
        )

    # -- what everyone can read, and the exports ------------------------------------------------
    anonymous = Client()
    staff = Client()
    staff.force_login(world["admin"])
    public = [
        "/api/v1/register/licences",
        f"/api/v1/register/licences/{licence.pk}",
        "/api/v1/verify?brand=Falcon+Shield+VPN",
        "/api/v1/statistics",
        "/api/v1/portal/status",
        "/api/v1/lookup/ip/39.32.0.1",
        f"/api/v1/lookup/holder?organisation={world['org_a'].pk}",
        "/rdap/ip/39.32.0.1",
        f"/rdap/entity/ORG-{world['org_a'].pk}",
        "/register/",
        "/register.csv",
        "/register.json",
        f"/register/id/{licence.pk}/",
        f"/v/{licence.verification_token}/",
        "/statistics/",
    ]
    for url in public:
        response = anonymous.get(url)
        assert response.status_code in (200, 404), url
        assert_no_canary(
            f"the public answer of {url}",
            b"".join(response) if response.streaming else response.content,
        )
    exports = [
        "/api/v1/returns/export.csv",
        "/api/v1/returns/obligations.csv",
        "/api/v1/violations/export.csv",
        "/api/v1/subscribers",
        "/api/v1/endpoints",
        "/api/v1/portal/requests",
    ]
    for url in exports:
        response = staff.get(url)
        assert response.status_code == 200, url
        assert_no_canary(
            f"the export {url}", b"".join(response) if response.streaming else response.content
        )
    try:
        from cvas.lookup.services import export_path, publish_exports
    except ImportError:
        return
    from tests.conftest import SYSTEM

    for export in publish_exports(actor=SYSTEM):
        assert_no_canary(f"the {export.format} export", export_path(export).read_bytes())
