"""Full exports: the command, the published files with checksum, time and cursor, who may fetch
them, no personal data, and each format read back."""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import json
from pathlib import Path
from typing import Any

import maxminddb
import pytest
from django.core.management import call_command
from django.test import Client

from cvas.core import tick
from cvas.lookup.runtime import RUNTIME
from tests.conftest import SYSTEM, api_key_for, bearer

API = "/api/v1"
pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(licence: Any, licence_b: Any, register: Any) -> None:
    register(licence, "gw", "39.32.0.0/24", "Provider A Pvt Ltd")
    register(licence, "bank", "39.32.0.16/28", "Shalimar Bank Ltd", parent="gw")
    register(licence, "ayesha", "39.32.0.200/32", "Ayesha Khan", individual=True, parent="gw")
    register(licence, "next", "39.32.1.0/24", "Provider A Pvt Ltd")
    register(licence_b, "v6", "2400:ca00:10::/48", "Indus Code Works")
    register(licence_b, "v6b", "2400:ca00:11::/48", "Indus Code Works")


def export(tmp_path: Path, fmt: str, capsys: Any) -> tuple[Path, str]:
    out = tmp_path / f"export.{fmt}"
    call_command("export", "--format", fmt, "--out", str(out))
    return out, capsys.readouterr().out


def test_csv_export_lists_active_prefixes_without_personal_data(
    registered: None, tmp_path: Path, capsys: Any
) -> None:
    out, said = export(tmp_path, "csv", capsys)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["prefix"] for r in rows] == [
        "39.32.0.0/24",
        "39.32.0.16/28",
        "39.32.0.200/32",
        "39.32.1.0/24",
        "2400:ca00:10::/48",
        "2400:ca00:11::/48",
    ]
    person = rows[2]
    assert (person["holder_type"], person["holder"]) == ("individual", "")
    assert "Ayesha" not in out.read_text(encoding="utf-8")
    assert "cursor 0-" in said or "cursor " in said


def test_json_export_names_the_cursor_it_is_current_to(
    registered: None, tmp_path: Path, capsys: Any
) -> None:
    out, _ = export(tmp_path, "json", capsys)
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["count"] == len(body["registrations"]) == 6
    assert body["cursor"].count("-") == 1
    assert "Ayesha" not in out.read_text(encoding="utf-8")


def test_cidr_export_is_the_shortest_equivalent_list(
    registered: None, tmp_path: Path, capsys: Any
) -> None:
    out, _ = export(tmp_path, "cidr", capsys)
    assert out.read_text().split() == ["39.32.0.0/23", "2400:ca00:10::/47"]


def test_mmdb_export_read_back_answers_like_the_lookup(
    registered: None, tmp_path: Path, capsys: Any
) -> None:
    out, _ = export(tmp_path, "mmdb", capsys)
    index = RUNTIME.snapshot().index
    with maxminddb.open_database(str(out)) as reader:
        assert reader.metadata().database_type == "CVAS-Registry-Endpoints"
        for address in [
            "39.32.0.1",
            "39.32.0.20",
            "39.32.0.200",
            "39.32.1.255",
            "39.32.2.0",
            "2400:ca00:10::1",
            "2400:ca00:12::",
        ]:
            want = index.lookup(address)
            got = reader.get(address)
            assert (got or {}).get("handle") == (want.handle if want else None), address
        assert reader.get("39.32.0.20")["holder"] == "Shalimar Bank Ltd"
        assert "holder" not in reader.get("39.32.0.200")  # an individual: no name
    assert b"Ayesha" not in out.read_bytes()


def test_published_exports_are_served_with_checksum_time_and_cursor(
    registered: None, world: dict[str, Any], tmp_path: Path
) -> None:
    results = tick.run(actor=SYSTEM, today=__import__("datetime").date.today())
    assert any(r.name == "lookup exports" for r in results)
    _, token = api_key_for(world["operator"], world["isp"], ["lookup"])
    listing = Client().get(f"{API}/exports", **bearer(token)).json()
    assert {e["format"] for e in listing} == {"csv", "json", "cidr", "mmdb"}
    r = Client().get(f"{API}/exports/cidr", **bearer(token))
    assert r.status_code == 200
    body = b"".join(r.streaming_content)
    assert hashlib.sha256(body).hexdigest() == r["X-Checksum-SHA256"] == r["ETag"].strip('"')
    assert r["X-Cursor"] and r["X-Generated-At"]
    assert [str(ipaddress.ip_network(x)) for x in body.decode().split()] == [
        "39.32.0.0/23",
        "2400:ca00:10::/47",
    ]
    again = Client().get(f"{API}/exports/cidr", HTTP_IF_NONE_MATCH=r["ETag"], **bearer(token))
    assert again.status_code == 304


def test_exports_are_for_network_operators(
    registered: None, world: dict[str, Any], client_for: Any
) -> None:
    assert Client().get(f"{API}/exports/csv").status_code == 401
    _, key = api_key_for(world["member_a"], world["org_a"], ["lookup"])
    assert Client().get(f"{API}/exports/csv", **bearer(key)).status_code == 403
    missing = client_for(world["operator"]).get(f"{API}/exports/csv")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "export_not_available"
    assert client_for(world["operator"]).get(f"{API}/exports/xml").status_code == 422
