"""Address lookup through the API: answers, privacy by asker, batches, prefixes, holders, verify,
and the index following every change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import api_key_for, bearer
from tests.lookup.conftest import end

API = "/api/v1"
pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(licence: Any, licence_b: Any, register: Any) -> dict[str, Any]:
    """Provider A: its gateway /24 with an organisation's /28 and an individual's /32 inside;
    provider B: an individual's /32 of its own, and an IPv6 /48 of an organisation."""
    gw = register(licence, "gw", "39.32.0.0/24", "Provider A Pvt Ltd")
    org = register(licence, "bank", "39.32.0.16/28", "Shalimar Bank Ltd", parent="gw")
    person = register(
        licence, "ayesha", "39.32.0.200/32", "Ayesha Khan", individual=True, parent="gw"
    )
    lone = register(licence_b, "bilal", "39.33.0.7/32", "Bilal Ahmed", individual=True)
    v6 = register(licence_b, "v6", "2400:ca00:10::/48", "Indus Code Works")
    return {"gw": gw, "org": org, "person": person, "lone": lone, "v6": v6}


def test_the_most_specific_active_registration_answers(registered: dict[str, Any]) -> None:
    body = Client().get(f"{API}/lookup/ip/39.32.0.20").json()
    assert body["prefix"] == "39.32.0.16/28"
    assert body["holder"] == "Shalimar Bank Ltd"
    assert body["handle"] == registered["org"].handle
    assert body["licence"]["holder"] == "Provider A Pvt Ltd"
    assert body["registered_since"].endswith("Z")
    assert Client().get(f"{API}/lookup/ip/39.32.0.99").json()["prefix"] == "39.32.0.0/24"
    assert Client().get(f"{API}/lookup/ip/2400:ca00:10:1::5").json()["holder"] == "Indus Code Works"


def test_an_unregistered_address_is_404_not_registered(registered: dict[str, Any]) -> None:
    r = Client().get(f"{API}/lookup/ip/39.40.0.1")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_registered"


def test_a_malformed_address_is_refused_naming_the_field(registered: dict[str, Any]) -> None:
    r = Client().get(f"{API}/lookup/ip/39.32.0.999")
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "address"


def test_the_public_never_sees_an_individual(registered: dict[str, Any]) -> None:
    inside_gateway = Client().get(f"{API}/lookup/ip/39.32.0.200").json()
    assert inside_gateway["prefix"] == "39.32.0.0/24"  # the licensee's gateway, not the person
    assert "Ayesha" not in str(inside_gateway)
    alone = Client().get(f"{API}/lookup/ip/39.33.0.7")
    assert alone.status_code == 404 and alone.json()["error"]["code"] == "not_registered"


def test_network_operators_see_individuals_without_identity(
    registered: dict[str, Any], world: dict[str, Any], client_for: Any
) -> None:
    body = client_for(world["operator"]).get(f"{API}/lookup/ip/39.32.0.200").json()
    assert (body["prefix"], body["holder_type"], body["holder"]) == (
        "39.32.0.200/32",
        "individual",
        None,
    )


def test_the_licensee_and_staff_see_the_individual_s_identity(
    registered: dict[str, Any], world: dict[str, Any], client_for: Any
) -> None:
    own = client_for(world["member_a"]).get(f"{API}/lookup/ip/39.32.0.200").json()
    assert own["holder"] == "Ayesha Khan"
    staff = client_for(world["auditor"]).get(f"{API}/lookup/ip/39.33.0.7").json()
    assert staff["holder"] == "Bilal Ahmed"
    other = client_for(world["member_a"]).get(f"{API}/lookup/ip/39.33.0.7")
    assert other.status_code == 404  # provider B's individual is not provider A's to see


def test_the_index_follows_every_change_at_once(
    registered: dict[str, Any], licence: Any, register: Any, world: dict[str, Any]
) -> None:
    c = Client()
    assert c.get(f"{API}/lookup/ip/39.32.0.20").json()["prefix"] == "39.32.0.16/28"
    end(world, registered["org"])
    assert c.get(f"{API}/lookup/ip/39.32.0.20").json()["prefix"] == "39.32.0.0/24"
    register(
        licence, "bank", "39.32.0.16/29", "Shalimar Bank Ltd", parent="gw"
    )  # re-registered, smaller
    assert c.get(f"{API}/lookup/ip/39.32.0.20").json()["prefix"] == "39.32.0.16/29"
    assert c.get(f"{API}/lookup/ip/39.32.0.30").json()["prefix"] == "39.32.0.0/24"
    end(world, registered["gw"])
    assert c.get(f"{API}/lookup/ip/39.32.0.99").status_code == 404


def test_verify_answers_an_address_in_the_words_of_verify(registered: dict[str, Any]) -> None:
    body = Client().get(f"{API}/verify", {"address": "39.32.0.5"}).json()
    assert (body["kind"], body["licensed"], body["status"]) == ("address", True, "active")
    assert "39.32.0.0/24" in body["matched"] and "Provider A Pvt Ltd" in body["message"]
    unknown = Client().get(f"{API}/verify", {"address": "39.33.0.7"}).json()
    assert (unknown["licensed"], unknown["status"], unknown["licence"]) == (
        False,
        "not_licensed",
        None,
    )
    both = Client().get(f"{API}/verify", {"address": "39.32.0.5", "brand": "X"})
    assert both.status_code == 422


def _operator_key(world: dict[str, Any], scopes: list[str]) -> dict[str, str]:
    _, token = api_key_for(world["operator"], world["isp"], scopes)
    return bearer(token)


def test_a_network_operator_looks_up_a_batch(
    registered: dict[str, Any], world: dict[str, Any]
) -> None:
    auth = _operator_key(world, ["lookup"])
    addresses = [
        "39.32.0.20",
        "39.40.0.1",
        "nonsense",
        "39.32.0.200",
        "2400:ca00:10::1",
        "::ffff:39.32.0.21",
    ]
    r = Client().post(
        f"{API}/lookup/ip", {"addresses": addresses}, content_type="application/json", **auth
    )
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    assert [i["address"] for i in items] == addresses
    assert [i["prefix"] for i in items] == [
        "39.32.0.16/28",
        None,
        None,
        "39.32.0.200/32",
        "2400:ca00:10::/48",
        "39.32.0.16/28",
    ]
    assert items[2]["error"] == "not an IPv4 or IPv6 address"
    assert items[3]["holder"] is None and r.json()["registered"] == 4


@pytest.mark.parametrize(
    ("who", "scopes", "status"),
    [("anonymous", None, 401), ("operator", ["read"], 403), ("member_a", ["lookup"], 403)],
)
def test_batches_are_for_network_operators_with_the_lookup_scope(
    registered: dict[str, Any],
    world: dict[str, Any],
    who: str,
    scopes: list[str] | None,
    status: int,
) -> None:
    headers: dict[str, str] = {}
    if scopes is not None:
        org = world["isp"] if who == "operator" else world["org_a"]
        _, token = api_key_for(world[who], org, scopes)
        headers = bearer(token)
    r = Client().post(
        f"{API}/lookup/ip", {"addresses": ["39.32.0.1"]}, content_type="application/json", **headers
    )
    assert r.status_code == status


def test_a_batch_over_ten_thousand_is_refused(
    registered: dict[str, Any], world: dict[str, Any]
) -> None:
    r = Client().post(
        f"{API}/lookup/ip",
        {"addresses": ["39.32.0.1"] * 10_001},
        content_type="application/json",
        **_operator_key(world, ["lookup"]),
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"].startswith("addresses")


def test_a_prefix_query_lists_what_is_inside_and_what_covers_it(registered: dict[str, Any]) -> None:
    body = Client().get(f"{API}/lookup/prefix", {"prefix": "39.32.0.0/24"}).json()
    assert [i["prefix"] for i in body["items"]] == [
        "39.32.0.0/24",
        "39.32.0.16/28",
    ]  # no individual
    assert body["covering"]["prefix"] == "39.32.0.0/24"
    inner = Client().get(f"{API}/lookup/prefix", {"prefix": "39.32.0.128/25"}).json()
    assert inner["items"] == [] and inner["covering"]["prefix"] == "39.32.0.0/24"
    bad = Client().get(f"{API}/lookup/prefix", {"prefix": "39.32.0.1/24"})
    assert bad.status_code == 422 and "did you mean 39.32.0.0/24" in bad.json()["error"]["message"]


def test_reverse_lookup_lists_every_registration_of_a_holder(
    registered: dict[str, Any], licence: Any, register: Any
) -> None:
    register(licence, "bank-2", "39.32.1.0/24", "shalimar bank ltd")
    body = Client().get(f"{API}/lookup/holder", {"name": "Shalimar Bank Ltd"}).json()
    assert [i["prefix"] for i in body["items"]] == ["39.32.0.16/28", "39.32.1.0/24"]
    none = Client().get(f"{API}/lookup/holder", {"name": "Ayesha Khan"}).json()
    assert none["count"] == 0  # individuals are not found by name


def test_reverse_lookup_of_an_unknown_subscriber_is_404(registered: dict[str, Any]) -> None:
    r = Client().get(f"{API}/lookup/holder", {"subscriber": 99999})
    assert r.status_code == 404


def test_ping_is_a_no_op(db: Any) -> None:
    assert Client().get(f"{API}/ping").json() == {"ok": True}


def test_the_home_page_answers_a_gateway_address_from_the_registry(
    registered: dict[str, Any], licence_b: Any, register: Any
) -> None:
    """Provider B declared no gateway outside 39.32.0.0/24 in its application; the address it
    registered in the registry is answered as its own, an individual's is not disclosed."""
    register(licence_b, "gw-b", "39.40.8.0/24", "Second Pvt Ltd")
    page = Client().get("/", {"q": "39.40.8.9"}).content.decode()
    assert 'data-status="active"' in page and "39.40.8.0/24" in page
    assert licence_b.holder.name in page
    api = Client().get(f"{API}/verify", {"address": "39.40.8.9"}).json()
    assert api["licensed"] is True and api["licence"]["holder"] == licence_b.holder.name
    hidden = Client().get("/", {"q": "39.33.0.7"}).content.decode()  # an individual's /32
    assert "Not on the register" in hidden and "Bilal" not in hidden


def test_the_home_page_says_when_an_address_is_an_organisation_s_not_a_provider_s(
    registered: dict[str, Any], world: dict[str, Any]
) -> None:
    from cvas.registry.models import EndpointRegistration

    # what the IP-registration portal leaves behind: an organisation's address, no licence
    EndpointRegistration.objects.filter(pk=registered["v6"].pk).update(
        licence=None, source="portal"
    )
    page = Client().get("/", {"q": "2400:ca00:10::1"}).content.decode()
    assert "Registered, not a licensed provider" in page
    assert "IP-registration portal" in page and 'data-status="not_licensed"' in page


def test_an_urdu_answer_keeps_an_address_in_its_own_order(registered: dict[str, Any]) -> None:
    """Right to left, "2400:ca00:10::/48" would be shown reordered without an isolate."""
    page = Client().get("/ur/", {"q": "2400:ca00:10::1"}).content.decode()
    assert 'dir="auto"' in page  # the search field follows what is typed
    assert "<bdi>2400:ca00:10::/48، " in page and "حامل: Indus Code Works" in page
    english = Client().get("/", {"q": "2400:ca00:10::1"}).content.decode()
    assert "<bdi>" not in english and "2400:ca00:10::/48, " in english
