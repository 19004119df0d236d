"""Endpoint registrations: validation messages, the overlap rule (also under concurrent writers),
delegation, mobile numbers, status history."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from cvas.core.errors import Conflict, DomainError, InvalidInput
from cvas.registry import services
from cvas.registry.choices import EndpointStatus
from cvas.registry.models import EndpointRegistration
from cvas.registry.selectors import endpoint_history
from tests.conftest import api_key_for, bearer, principal


def ep(ref: str, **kw: Any) -> dict[str, Any]:
    return {"ref": ref, "holder_name": "Shalimar Textiles", "holder_type": "organisation", **kw}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"prefix": "39.32.10.7/24"}, "prefix: host bits set; did you mean 39.32.10.0/24?"),
        (
            {"prefix": "172.16.0.0/12"},
            "prefix: a private range (172.16.0.0/12), not public address space",
        ),
        (
            {"prefix": "203.0.113.0/24"},
            "prefix: a reserved or documentation range (203.0.113.0/24), not public address space",
        ),
        (
            {"prefix": "2001:db8:1::/48"},
            "prefix: a reserved or documentation range (2001:db8::/32), not public address space",
        ),
        (
            {"prefix": "::ffff:39.32.10.1"},
            "prefix: an IPv4-mapped IPv6 address (::ffff:0:0/96); give the IPv4 address instead",
        ),
        ({"prefix": "39.32.10"}, "prefix: malformed address or prefix"),
        ({"msisdn": "12345"}, "msisdn: not a valid Pakistani mobile number (+92 3xx xxxxxxx)"),
        (
            {"msisdn": "+44 7700 900123"},
            "msisdn: not a valid Pakistani mobile number (+92 3xx xxxxxxx)",
        ),
        (
            {"msisdn": "051-2345678"},
            "msisdn: a Pakistani number, but not a mobile number (+92 3xx xxxxxxx)",
        ),
        ({}, "prefix: give a prefix or an msisdn"),
    ],
)
def test_each_bad_input_is_refused_with_its_reason(
    licence: Any, world: dict[str, Any], data: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.endpoint_save(
            principal=principal(world["member_a"]), licence=licence, data=ep("x", **data)
        )
    assert exc.value.message == message
    assert EndpointRegistration.objects.count() == 0


@pytest.mark.django_db
def test_inputs_are_normalised(licence: Any, world: dict[str, Any]) -> None:
    p = principal(world["member_a"])
    a, _ = services.endpoint_save(principal=p, licence=licence, data=ep("a", prefix=" 39.32.10.5 "))
    b, _ = services.endpoint_save(
        principal=p, licence=licence, data=ep("b", prefix="2001:DF0:0084:0::/48")
    )
    c, _ = services.endpoint_save(principal=p, licence=licence, data=ep("c", msisdn="0300 1234567"))
    assert (a.network, b.network) == ("39.32.10.5/32", "2001:df0:84::/48")
    assert a.handle.startswith("EP-") and len(a.handle) == 19
    assert not set(a.handle[3:]) & set("ILOU")
    assert c.kind == "msisdn" and c.network is None
    with pytest.raises(
        Conflict, match=f"msisdn: this mobile number is already registered as {c.handle}"
    ):
        services.endpoint_save(principal=p, licence=licence, data=ep("d", msisdn="+923001234567"))


@pytest.mark.django_db
def test_overlapping_prefixes_of_two_holders_are_refused_with_409_naming_the_registration(
    licence: Any, licence_b: Any, world: dict[str, Any], client: Any
) -> None:
    first, _ = services.endpoint_save(
        principal=principal(world["member_a"]),
        licence=licence,
        data=ep("gw", prefix="39.32.10.0/24"),
    )
    _, token = api_key_for(world["member_b"], world["org_b"], ["read", "write"])
    body = {
        "licence": licence_b.number,
        "ref": "x",
        "prefix": "39.32.10.128/25",
        "holder_name": "Someone Else Ltd",
        "holder_type": "organisation",
    }
    r = client.post("/api/v1/endpoints", body, content_type="application/json", **bearer(token))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "overlap"
    assert first.handle in err["message"] and "held by Shalimar Textiles" in err["message"]
    # a bigger prefix that contains it is refused too
    body.update(ref="y", prefix="39.32.0.0/16")
    assert (
        client.post(
            "/api/v1/endpoints", body, content_type="application/json", **bearer(token)
        ).status_code
        == 409
    )
    # an individual holder is not named
    services.endpoint_end(principal=principal(world["member_a"]), registration=first)
    person, _ = services.endpoint_save(
        principal=principal(world["member_a"]),
        licence=licence,
        data={
            "ref": "home",
            "prefix": "39.32.11.0/29",
            "holder_name": "Ayesha Khan",
            "holder_type": "individual",
        },
    )
    body.update(ref="z", prefix="39.32.11.0/24")
    r = client.post("/api/v1/endpoints", body, content_type="application/json", **bearer(token))
    assert r.status_code == 409 and person.handle in r.json()["error"]["message"]
    assert "Ayesha" not in r.content.decode()


@pytest.mark.django_db
def test_a_prefix_delegated_from_another_may_overlap_it(
    licence: Any, licence_b: Any, world: dict[str, Any]
) -> None:
    parent, _ = services.endpoint_save(
        principal=principal(world["member_a"]),
        licence=licence,
        data=ep("block", prefix="39.32.0.0/22"),
    )
    child, _ = services.endpoint_save(
        principal=principal(world["member_b"]),
        licence=licence_b,
        data=ep("cust", prefix="39.32.1.0/29", delegated_from=parent.handle),
    )
    assert child.family == parent.family == parent.handle
    with pytest.raises(
        InvalidInput, match=r"delegated_from: 39.33.0.0/29 is not inside 39.32.0.0/22"
    ):
        services.endpoint_save(
            principal=principal(world["member_b"]),
            licence=licence_b,
            data=ep("out", prefix="39.33.0.0/29", delegated_from=parent.handle),
        )


@pytest.mark.django_db
def test_a_mobile_number_is_held_once_and_found_by_exact_lookup(
    licence: Any, licence_b: Any, world: dict[str, Any], client: Any
) -> None:
    reg, _ = services.endpoint_save(
        principal=principal(world["member_a"]), licence=licence, data=ep("m", msisdn="0321-7654321")
    )
    with pytest.raises(Conflict, match=reg.handle):
        services.endpoint_save(
            principal=principal(world["member_b"]),
            licence=licence_b,
            data=ep("m", msisdn="+92 321 7654321"),
        )
    _, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    r = client.post(
        "/api/v1/endpoints/lookup",
        {"msisdn": "03217654321"},
        content_type="application/json",
        **bearer(token),
    )
    assert [i["handle"] for i in r.json()["items"]] == [reg.handle]
    assert r.json()["items"][0]["msisdn_masked"] == "+92321*****21"
    assert "7654321" not in r.content.decode()


@pytest.mark.django_db
def test_a_registration_keeps_its_status_history_and_is_never_deleted(
    licence: Any, world: dict[str, Any]
) -> None:
    p = principal(world["member_a"])
    reg, _ = services.endpoint_save(
        principal=p, licence=licence, data=ep("gw", prefix="39.32.10.0/24")
    )
    services.endpoint_end(principal=p, registration=reg, reason="returned to the ISP")
    again, change = services.endpoint_save(
        principal=p, licence=licence, data=ep("gw", prefix="39.32.10.0/24")
    )
    assert change == "updated" and again.handle == reg.handle
    assert [h["status"] for h in endpoint_history(again)] == ["active", "ended", "active"]
    assert EndpointRegistration.objects.filter(handle=reg.handle).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_overlapping_prefixes_leave_exactly_one(
    world: dict[str, Any], complete_application: Any, make_org: Any, make_user: Any
) -> None:
    from cvas.licensing import services as lic

    n = 4
    holders = []
    for i in range(n):
        user = make_user(f"holder{i}@race.test")
        org = make_org(f"Race {i} Pvt Ltd", managers=(user,))
        app = complete_application(org=org, user=user, brands=[{"name": f"Race VPN {i}"}])
        lic.application_submit(principal=principal(user), application=app)
        lic.application_take(principal=principal(world["officer"]), application=app)
        licence = lic.application_approve(
            principal=principal(world["officer"]), application=app, reason="ok"
        )
        holders.append((user, licence))
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def register(i: int) -> None:
        user, licence = holders[i]
        try:
            barrier.wait(timeout=30)
            prefix = "39.32.10.0/24" if i % 2 else f"39.32.10.{64 * i}/26"
            services.endpoint_save(
                principal=principal(user), licence=licence, data=ep(f"r{i}", prefix=prefix)
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        except BaseException as exc:  # pragma: no cover - shown in the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    active = list(
        EndpointRegistration.objects.filter(status=EndpointStatus.ACTIVE).values_list(
            "network", flat=True
        )
    )
    # /24 overlaps every /26 inside it: either the /24 alone, or the two /26s (0 and 128) with no /24
    assert sorted(outcomes).count("overlap") == n - len(active), outcomes
    assert set(outcomes) <= {"ok", "overlap"}
    assert active in (["39.32.10.0/24"],) or sorted(active) == ["39.32.10.0/26", "39.32.10.128/26"]


@pytest.mark.django_db
def test_the_database_itself_refuses_overlapping_active_prefixes_on_postgresql(
    licence: Any, world: dict[str, Any]
) -> None:
    """The exclusion constraint, written around the services (as a bad script would)."""
    import ipaddress

    from django.db import IntegrityError, transaction

    from cvas.core.netaddr import prefix_bounds
    from cvas.registry.validation import new_handle

    if connection.vendor != "postgresql":
        pytest.skip("an exclusion constraint is PostgreSQL's; SQLite relies on the services")

    def raw(prefix: str, family: str | None = None, status: str = "active") -> None:
        version, length, start, end = prefix_bounds(ipaddress.ip_network(prefix))
        handle = new_handle()
        with transaction.atomic():
            EndpointRegistration.objects.create(
                handle=handle,
                kind="prefix",
                source="licensee",
                licence=licence,
                registrant=licence.holder,
                ref=handle,
                holder_type="organisation",
                holder_name="X",
                network=prefix,
                ip_version=version,
                prefix_len=length,
                range_start=start,
                range_end=end,
                family=family or handle,
                status=status,
                content_hash=b"x",
            )

    raw("39.32.10.0/24", family="F1")
    raw("39.32.11.0/24")  # adjacent: no overlap
    raw("39.32.10.0/29", family="F1")  # same family: allowed
    raw("39.32.10.0/29", status="ended")  # not active: allowed
    for bad in ("39.32.10.128/25", "39.32.0.0/16", "39.32.10.7/32"):
        with pytest.raises(IntegrityError):
            raw(bad)
    raw("2400:1460::/48", family="F6")
    raw("2400:1461::/64")
    raw("2400:1461:0:1::1/128")
    raw("2400:1461:0:1::2/128")  # two hosts of one /64: no overlap
    for bad in ("2400:1460:0:5::/64", "2400:1400::/24", "2400:1461::8/125", "2400:1461:0:1::/64"):
        with pytest.raises(IntegrityError):
            raw(bad)
    raw("39.32.12.0/24")  # an IPv4 prefix never meets an IPv6 one


@pytest.mark.django_db
def test_a_prefix_cannot_move_away_from_the_registrations_delegated_from_it(
    licence: Any, world: dict[str, Any], run_import: Any
) -> None:
    from tests.registry.conftest import csv_bytes

    p = principal(world["member_a"])
    services.endpoint_save(principal=p, licence=licence, data=ep("block", prefix="39.32.0.0/22"))
    services.endpoint_save(
        principal=p, licence=licence, data=ep("cust", prefix="39.32.1.0/29", delegated_from="block")
    )
    with pytest.raises(Conflict, match=r"39\.32\.1\.0/29 .* is delegated from"):
        services.endpoint_save(
            principal=p, licence=licence, data=ep("block", prefix="39.33.0.0/22")
        )
    run = run_import(
        licence,
        "endpoints",
        csv_bytes(
            "ref,prefix,holder_name,holder_type",
            ["block,39.33.0.0/22,Shalimar Textiles,organisation"],
        ),
    )
    assert run.status == "refused"
    assert (
        run.errors[0]["line"] == 2
        and "is delegated from it and would be outside" in run.errors[0]["reason"]
    )
