"""RDAP answers in RFC 9083's form, readable by an RDAP client from PyPI; `cvas lookup`."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest
import whoisit
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(licence: Any, register: Any) -> dict[str, Any]:
    gw = register(licence, "gw", "39.32.0.0/24", "Provider A Pvt Ltd")
    bank = register(licence, "bank", "39.32.0.16/28", "Shalimar Bank Ltd", parent="gw")
    person = register(
        licence, "ayesha", "39.32.0.200/32", "Ayesha Khan", individual=True, parent="gw"
    )
    return {"gw": gw, "bank": bank, "person": person}


def test_rdap_ip_answers_the_most_specific_network(registered: dict[str, Any]) -> None:
    r = Client().get("/rdap/ip/39.32.0.20")
    assert r.status_code == 200 and r["Content-Type"] == "application/rdap+json"
    body = r.json()
    assert "rdap_level_0" in body["rdapConformance"]
    assert (body["objectClassName"], body["handle"]) == ("ip network", registered["bank"].handle)
    assert (body["startAddress"], body["endAddress"], body["ipVersion"]) == (
        "39.32.0.16",
        "39.32.0.31",
        "v4",
    )
    assert body["parentHandle"] == registered["gw"].handle
    roles = {tuple(e["roles"]): e for e in body["entities"]}
    assert roles[("registrant",)]["vcardArray"][1][1][3] == "Shalimar Bank Ltd"
    assert roles[("sponsor",)]["handle"] == f"ORG-{registered['gw'].licence.holder_id}"
    assert {e["eventAction"] for e in body["events"]} == {"registration", "last changed"}
    assert any(link["rel"] == "self" for link in body["links"])


def test_rdap_prefix_query_and_individuals_never_disclosed(registered: dict[str, Any]) -> None:
    assert Client().get("/rdap/ip/39.32.0.0/25").json()["handle"] == registered["gw"].handle
    body = Client().get("/rdap/ip/39.32.0.200").json()
    assert body["handle"] == registered["gw"].handle and "Ayesha" not in json.dumps(body)
    assert Client().get("/rdap/ip/39.32.0.200/32").json()["handle"] == registered["gw"].handle


def test_rdap_errors_are_in_rfc_9083_form(registered: dict[str, Any]) -> None:
    missing = Client().get("/rdap/ip/39.40.0.1")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/rdap+json"
    assert missing.json()["errorCode"] == 404 and missing.json()["title"]
    assert Client().get("/rdap/ip/39.32.0.1/16").status_code == 400
    assert Client().get("/rdap/domain/example.pk").status_code == 501
    assert Client().get("/rdap/entity/ORG-999999").status_code == 404


def test_rdap_entity_and_help(registered: dict[str, Any]) -> None:
    org_id = registered["gw"].licence.holder_id
    body = Client().get(f"/rdap/entity/ORG-{org_id}").json()
    assert (body["objectClassName"], body["handle"], body["roles"]) == (
        "entity",
        f"ORG-{org_id}",
        ["sponsor"],
    )
    assert body["vcardArray"][1][1][3] == "Provider A Pvt Ltd"
    assert Client().get("/rdap/help").json()["notices"]


@pytest.mark.django_db(transaction=True)
def test_an_rdap_client_from_pypi_reads_our_answers(
    live_server: Any, licence: Any, register: Any
) -> None:
    register(licence, "gw", "39.32.0.0/24", "Provider A Pvt Ltd")
    base = f"{live_server.url}/rdap/"
    services = [[["39.0.0.0/8"], [base]]]
    bootstrap = {
        "timestamp": 1_700_000_000,
        "asn": {"services": [[["1-2"], [base]]]},
        "dns": {"services": [[["pk"], [base]]]},
        "ipv4": {"services": services},
        "ipv6": {"services": [[["2400::/12"], [base]]]},
        "object": {"services": [[["CVAS"], [base]]]},
    }
    whoisit.clear_bootstrapping()
    whoisit.load_bootstrap_data(json.dumps(bootstrap), allow_insecure=True)
    try:
        answer = whoisit.ip("39.32.0.9")
    finally:
        whoisit.clear_bootstrapping()
    assert answer["handle"].startswith("EP-")
    assert (answer["start_address"], answer["end_address"], answer["ip_version"]) == (
        "39.32.0.0",
        "39.32.0.255",
        4,
    )
    assert str(answer["network"]) == "39.32.0.0/24"
    assert answer["entities"]["registrant"][0]["name"] == "Provider A Pvt Ltd"


def test_cvas_lookup_answers_each_address(
    registered: dict[str, Any], capsys: Any, monkeypatch: Any
) -> None:
    call_command("lookup", "39.32.0.20", "39.40.0.1", "nonsense")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:3] == ["39.32.0.20", "39.32.0.16/28", registered["bank"].handle]
    assert lines[1] == "39.40.0.1\tnot registered"
    assert lines[2] == "nonsense\tnot an IPv4 or IPv6 address"
    monkeypatch.setattr(sys, "stdin", io.StringIO("39.32.0.200\n\n2400:ca00:99::1\n"))
    call_command("lookup", "--json", "-")
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["address"], r["prefix"]) for r in rows] == [
        ("39.32.0.200", "39.32.0.200/32"),
        ("2400:ca00:99::1", None),
    ]
