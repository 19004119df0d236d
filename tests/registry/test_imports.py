"""Bulk import: streamed, checked row by row, all-or-nothing, idempotent, with --replace."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from cvas.audit.models import AuditEvent
from cvas.registry.choices import EndpointStatus, ImportStatus, SubscriberStatus
from cvas.registry.models import EndpointEvent, EndpointRegistration, Subscriber
from tests.registry.conftest import DATA, csv_bytes

EP = "ref,prefix,msisdn,holder_name,holder_type,action,subscriber_ref,delegated_from"
SUB = "ref,subscriber_type,category,name,cnic,ntn,start_date,end_date,action"


def pk_prefixes(length: int = 29) -> Iterator[str]:
    """Distinct, non-overlapping prefixes carved from Pakistan's real IPv4 blocks."""
    for line in (DATA / "pk-ipv4.cidr").read_text().split():
        block = ipaddress.ip_network(line)
        if block.prefixlen <= length:
            for sub in block.subnets(new_prefix=length):
                yield str(sub)


def state() -> list[tuple[Any, ...]]:
    return list(
        EndpointRegistration.objects.order_by("pk").values_list(
            "handle", "ref", "network", "status", "holder_name", "updated_at"
        )
    )


@pytest.mark.django_db
def test_an_import_creates_then_a_second_updates_and_ends_by_ref(
    licence: Any, run_import: Any
) -> None:
    first = run_import(
        licence,
        "endpoints",
        csv_bytes(
            EP,
            [
                "gw-1,39.32.10.0/24,,Provider A Pvt Ltd,organisation,,,",
                "gw-2,2001:df0:84::/48,,Provider A Pvt Ltd,organisation,upsert,,",
                "cust-1,39.32.10.8/29,,Shalimar Textiles,organisation,,,gw-1",
                "mob-1,,0300-1234567,Shalimar Textiles,organisation,,,",
            ],
        ),
    )
    assert first.status == ImportStatus.SUCCEEDED, first.errors
    assert (first.created, first.updated, first.ended, first.unchanged) == (4, 0, 0, 0)
    handles = dict(EndpointRegistration.objects.values_list("ref", "handle"))
    child = EndpointRegistration.objects.get(ref="cust-1")
    assert child.delegated_from is not None and child.delegated_from.ref == "gw-1"
    assert child.family == handles["gw-1"]

    second = run_import(
        licence,
        "endpoints",
        csv_bytes(
            EP,
            [
                "gw-1,39.32.10.0/24,,Provider A Pvt Ltd,organisation,,,",
                "gw-2,2001:df0:84::/48,,Provider A Pvt Ltd (Karachi),organisation,,,",
                "cust-1,,,,,end,,",
            ],
        ),
    )
    assert second.status == ImportStatus.SUCCEEDED, second.errors
    assert (second.created, second.updated, second.ended, second.unchanged) == (0, 1, 1, 1)
    rows = {r.ref: r for r in EndpointRegistration.objects.all()}
    assert rows["gw-2"].holder_name == "Provider A Pvt Ltd (Karachi)"
    assert rows["cust-1"].status == EndpointStatus.ENDED
    assert rows["mob-1"].status == EndpointStatus.ACTIVE  # not named: left as it is
    assert {r: x.handle for r, x in rows.items()} == handles  # handles are stable
    assert list(
        EndpointEvent.objects.filter(registration=rows["cust-1"]).values_list(
            "from_status", "to_status"
        )
    ) == [("active", "ended")]
    events = AuditEvent.objects.filter(action="import.endpoints").order_by("seq")
    assert [e.after["created"] for e in events] == [4, 0]
    assert events.last().after["file_sha256"] == second.sha256


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing_and_says_so(licence: Any, run_import: Any) -> None:
    data = csv_bytes(
        EP,
        [
            f"r{i},{p},,Provider A Pvt Ltd,organisation,,,"
            for i, p in enumerate(itertools.islice(pk_prefixes(), 50))
        ],
    )
    first = run_import(licence, "endpoints", data)
    assert first.created == 50
    before = state()
    again = run_import(licence, "endpoints", data)
    assert again.status == ImportStatus.SUCCEEDED
    assert (again.created, again.updated, again.ended, again.unchanged) == (0, 0, 0, 50)
    assert again.message.startswith("Nothing changed")
    assert f"import #{first.pk}" in again.message and again.sha256 == first.sha256
    assert state() == before


@pytest.mark.django_db
def test_a_file_with_bom_and_crlf_line_ends_is_read_like_any_other(
    licence: Any, run_import: Any
) -> None:
    data = csv_bytes(
        SUB,
        [
            'S-1,organisation,bank,"Habib Bank, Gulberg",,1234567-8,2025-03-01,,',
            "S-2,individual,individual,Ayesha Khan,35202-1234567-1,,2025-12-01,,",
        ],
        crlf=True,
        bom=True,
    )
    run = run_import(licence, "subscribers", data)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert Subscriber.objects.get(ref="S-1").name == "Habib Bank, Gulberg"


@pytest.mark.django_db
def test_100000_rows_whose_last_row_is_bad_change_nothing(
    licence: Any, run_import: Any, tmp_path: Any
) -> None:
    run_import(
        licence,
        "endpoints",
        csv_bytes(EP, ["keep,58.65.130.0/24,,Provider A Pvt Ltd,organisation,,,"]),
    )
    before = state()
    audit_before = AuditEvent.objects.count()
    path = tmp_path / "big.csv"
    prefixes = pk_prefixes(32)
    next(p for p in prefixes if p.startswith("39.32.9."))  # skip past nothing; any order will do
    with path.open("w", newline="") as f:
        f.write(EP + "\n")
        written = 0
        for p in prefixes:
            if p.startswith("58.65.130."):
                continue
            f.write(f"b{written},{p},,Provider A Pvt Ltd,organisation,,,\n")
            written += 1
            if written == 99_999:
                break
        f.write("b-last,10.1.2.0/24,,Provider A Pvt Ltd,organisation,,,\n")
    run = run_import(licence, "endpoints", path.read_bytes())
    assert run.status == ImportStatus.REFUSED
    assert run.rows == 100_000
    assert run.error_count == 1
    assert run.errors == [
        {
            "line": 100_001,
            "column": "prefix",
            "reason": "a private range (10.1.2.0/24), not public address space",
        }
    ]
    assert "nothing was changed" in run.message
    assert state() == before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.django_db
def test_every_bad_row_is_listed_with_line_column_and_reason_up_to_1000_and_the_total(
    licence: Any, run_import: Any
) -> None:
    rows = [
        "a1,39.32.10.1/24,,X Ltd,organisation,,,",
        "a2,192.168.1.0/24,,X Ltd,organisation,,,",
        "a3,2001:db8::/32,,X Ltd,organisation,,,",
        "a4,::ffff:39.32.1.1,,X Ltd,organisation,,,",
        "a5,39.32.300.0/24,,X Ltd,organisation,,,",
        "a6,,+14155550100,X Ltd,organisation,,,",
        "a7,,+924235761234,X Ltd,organisation,,,",
        "a8,39.32.11.0/24,,X Ltd,company,,,",
        "a9,39.32.12.0/24,,,organisation,,,",
        "a10,39.32.13.0/24,0300-1234567,X Ltd,organisation,,,",
        "a9,39.32.14.0/24,,X Ltd,organisation,,,",
        "a11,39.32.15.0/24,,X Ltd,organisation,remove,,",
        "a12,39.32.16.0/24,,X Ltd,organisation,,nobody,",
        "a13,39.32.17.0/24,,X Ltd,organisation,,,ghost",
        "a14,,,,,end,,",
        "a13,39.32.20.0/24,,X Ltd,organisation,,,",
        "a15,39.32.18.0/24,,X Ltd",
    ]
    bad = [f"z{i},10.0.{i // 256}.{i % 256},,X Ltd,organisation,,," for i in range(1200)]
    run = run_import(licence, "endpoints", csv_bytes(EP, rows + bad))
    assert run.status == ImportStatus.REFUSED
    assert run.error_count == 16 + 1200
    assert len(run.errors) == 1000
    got = {(e["line"], e["column"]): e["reason"] for e in run.errors if e["line"] < 19}
    assert (12, "ref") not in got  # its first a9 was bad, so this one stands alone
    assert got == {
        (2, "prefix"): "host bits set; did you mean 39.32.10.0/24?",
        (3, "prefix"): "a private range (192.168.1.0/24), not public address space",
        (
            4,
            "prefix",
        ): "a reserved or documentation range (2001:db8::/32), not public address space",
        (5, "prefix"): "an IPv4-mapped IPv6 address (::ffff:0:0/96); give the IPv4 address instead",
        (6, "prefix"): "malformed address or prefix",
        (7, "msisdn"): "not a valid Pakistani mobile number (+92 3xx xxxxxxx)",
        (8, "msisdn"): "a Pakistani number, but not a mobile number (+92 3xx xxxxxxx)",
        (9, "holder_type"): "must be organisation or individual",
        (10, "holder_name"): "required",
        (11, "prefix"): "give prefix or msisdn, not both",
        (13, "action"): "must be upsert or end, not 'remove'",
        (14, "subscriber_ref"): "no subscriber nobody of this licence",
        (15, "delegated_from"): "no registration ghost",
        (16, "ref"): "no registration a14 of this licence to end",
        (17, "ref"): "ref a13 is also on line 15",
        (18, "-"): "4 fields where the header has 8",
    }
    assert EndpointRegistration.objects.count() == 0


@pytest.mark.django_db
def test_replace_ends_every_active_record_the_file_does_not_name(
    licence: Any, run_import: Any
) -> None:
    run_import(
        licence,
        "subscribers",
        csv_bytes(
            SUB,
            [
                "S-1,organisation,bank,Habib Bank,,1234567-8,2025-03-01,,",
                "S-2,organisation,it_company,Arbisoft,,7654321-0,2025-03-01,,",
            ],
        ),
    )
    run = run_import(
        licence,
        "subscribers",
        csv_bytes(SUB, ["S-1,organisation,bank,Habib Bank,,1234567-8,2025-03-01,,"]),
        replace=True,
    )
    assert (run.created, run.updated, run.ended, run.unchanged) == (0, 0, 1, 1)
    assert dict(Subscriber.objects.values_list("ref", "status")) == {
        "S-1": SubscriberStatus.ACTIVE,
        "S-2": SubscriberStatus.ENDED,
    }


@pytest.mark.django_db
def test_a_subscriber_the_regime_does_not_permit_is_refused_with_the_regimes_name(
    licence: Any, run_import: Any
) -> None:
    run = run_import(
        licence,
        "subscribers",
        csv_bytes(
            SUB,
            [
                "I-1,individual,individual,Ayesha Khan,35202-1234567-1,,2025-03-01,,",
                "I-2,individual,individual,Bilal Ahmed,35202-7654321-3,,2025-12-01,,",
                "B-1,organisation,bank,Meezan Bank,,1111111-1,2025-03-01,,",
                "B-2,organisation,bank,Meezan Bank Two,,2222222-2,2025-12-01,,",
                "T-1,organisation,individual,Wrong Type,,3333333-3,2025-12-01,,",
                "C-1,individual,individual,Bad Cnic,3520212345671,,2025-12-01,,",
                "C-2,individual,individual,Bad Cnic,35202-123456-1,,2025-12-01,,",
                "N-1,organisation,bank,Bad Ntn,,123456-7,2025-12-01,,",
                "D-1,organisation,bank,Bad Date,,1234567-8,01/12/2025,,",
            ],
        ),
    )
    assert run.status == ImportStatus.REFUSED
    got = {e["line"]: (e["column"], e["reason"]) for e in run.errors}
    assert got[2] == (
        "category",
        "Individual subscribers are not permitted under the regime 'CVAS-Data class licence for "
        "VPN providers: commercial clients only' in force on 2025-03-01 (it permits: it_company, "
        "bank, foreign_mission, software_house, other_business)",
    )
    assert 3 not in got and 4 not in got and 5 not in got
    assert got[6] == ("subscriber_type", "category individual needs subscriber_type individual")
    assert 7 not in got  # dashes may be left out
    assert got[8] == ("cnic", "a CNIC has 13 digits, written #####-#######-#")
    assert got[9] == ("ntn", "an NTN has 8 digits, written #######-#")
    assert got[10] == ("start_date", "not a date as YYYY-MM-DD: '01/12/2025'")
    assert Subscriber.objects.count() == 0


@pytest.mark.django_db
def test_an_import_that_fails_part_way_leaves_the_database_as_before(
    licence: Any, run_import: Any, monkeypatch: Any
) -> None:
    from cvas.registry import imports

    run_import(licence, "endpoints", csv_bytes(EP, ["keep,58.65.130.0/24,,A Ltd,organisation,,,"]))
    before = state()

    def boom(self: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed")

    original = imports.EndpointJob._explain_overlaps
    monkeypatch.setattr(imports.EndpointJob, "_explain_overlaps", boom)
    monkeypatch.setattr(imports, "connection", imports.connection)
    data = csv_bytes(
        EP,
        [
            "keep,,,,,end,,",
            *[
                f"n{i},{p},,A Ltd,organisation,,,"
                for i, p in enumerate(
                    itertools.islice(
                        (p for p in pk_prefixes() if not p.startswith("58.65.130.")), 20
                    )
                )
            ],
        ],
    )
    if imports.connection.vendor == "postgresql":
        monkeypatch.setattr(imports.EndpointJob, "apply", lambda self: boom(self))
    run = run_import(licence, "endpoints", data)
    assert run.status == ImportStatus.FAILED
    assert "nothing was changed" in run.message
    assert state() == before
    assert original is not None


@pytest.mark.django_db
def test_a_file_without_the_required_columns_or_not_in_utf8_is_refused_on_its_line(
    licence: Any, run_import: Any
) -> None:
    run = run_import(licence, "endpoints", b"ref,address,holder\nx,39.32.10.0/24,A\n")
    assert run.status == ImportStatus.REFUSED
    assert run.errors == [
        {
            "line": 1,
            "column": "-",
            "reason": "missing column(s): holder_name, holder_type, prefix or msisdn",
        }
    ]
    latin1 = csv_bytes(
        EP, ["a,39.32.10.0/24,,A Ltd,organisation,,,"]
    ) + "b,39.32.11.0/24,,Société,organisation,,,\n".encode("latin-1")
    run = run_import(licence, "endpoints", latin1)
    assert run.status == ImportStatus.REFUSED
    assert run.errors == [{"line": 3, "column": "-", "reason": "not UTF-8 text"}]
    assert EndpointRegistration.objects.count() == 0


@pytest.mark.django_db
def test_subscribers_are_updated_and_ended_by_a_later_file_and_by_the_daily_tick(
    licence: Any, run_import: Any
) -> None:
    import datetime as dt

    from cvas.core.actors import Actor
    from cvas.registry.services import tick_end_subscribers

    run_import(
        licence,
        "subscribers",
        csv_bytes(
            SUB,
            [
                "S-1,organisation,bank,Habib Bank,,1234567-8,2025-03-01,,",
                "S-2,organisation,it_company,Arbisoft,,7654321-0,2025-03-01,,",
                "S-3,organisation,it_company,Systems Ltd,,1111111-1,2025-03-01,2099-12-31,",
            ],
        ),
    )
    run = run_import(
        licence,
        "subscribers",
        csv_bytes(
            SUB,
            [
                "S-1,organisation,bank,Habib Bank Limited,,1234567-8,2025-03-01,,",
                "S-2,,,,,,,2025-10-31,end",
            ],
        ),
    )
    assert (run.created, run.updated, run.ended, run.unchanged) == (0, 1, 1, 0)
    rows = {s.ref: s for s in Subscriber.objects.all()}
    assert rows["S-1"].name == "Habib Bank Limited"
    assert (rows["S-2"].status, rows["S-2"].end_date) == (
        SubscriberStatus.ENDED,
        dt.date(2025, 10, 31),
    )
    assert rows["S-3"].status == SubscriberStatus.ACTIVE
    result = tick_end_subscribers(actor=Actor.system("tests"), today=dt.date(2100, 1, 1))
    assert result.lines == ["1 subscriber(s) ended"]
    assert Subscriber.objects.get(ref="S-3").status == SubscriberStatus.ENDED
