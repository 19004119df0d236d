"""Property tests (hypothesis) of the pure parts: the index against a brute-force scan with
`ipaddress`, the CIDR aggregation against the addresses it covers, and a MaxMind DB read back
through `maxminddb` against the index."""

from __future__ import annotations

import ipaddress
from typing import Any

import maxminddb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cvas.lookup import cidr, mmdb
from cvas.lookup.index import FULL, INDIVIDUAL, PUBLIC, ColumnsBuilder, Holder, PrefixIndex, Record

WIDTH = {4: 32, 6: 128}
ROOT = {4: int(ipaddress.ip_address("39.32.0.0")), 6: int(ipaddress.ip_address("2400:ca00::"))}


@st.composite
def prefix_sets(draw: Any, version: int) -> list[tuple[int, int, bool]]:
    """Nested and adjacent prefixes inside one /16 (IPv4) or /32 (IPv6): (network, length,
    individual)."""
    w = WIDTH[version]
    base_len = 16 if version == 4 else 32
    span = 16 if version == 4 else 40
    out = []
    for _ in range(draw(st.integers(0, 40))):
        length = draw(st.integers(base_len, min(w, base_len + span)))
        bits = draw(st.integers(0, (1 << (length - base_len)) - 1)) if length > base_len else 0
        out.append((ROOT[version] | bits << (w - length), length, draw(st.booleans())))
    return out


def build(prefixes: dict[int, tuple[int, int, int, bool]]) -> PrefixIndex:
    b = ColumnsBuilder()
    for rid, (v, net, length, individual) in prefixes.items():
        b.add(_record(rid, v, net, length, individual))
    return PrefixIndex(b.build())


def _record(rid: int, v: int, net: int, length: int, individual: bool) -> Record:
    holder = INDIVIDUAL if individual else Holder("organisation", f"Org {rid % 3}", None)
    return Record(
        rid, f"EP-{rid:04d}", v, net, length, holder, rid % 2 or None, 1_700_000_000 + rid
    )


def brute(
    prefixes: dict[int, tuple[int, int, int, bool]], version: int, address: int, public: bool
) -> int | None:
    """The most specific covering prefix by `ipaddress`; a later registration wins a tie."""
    ip = ipaddress.ip_address(address) if version == 4 else ipaddress.IPv6Address(address)
    best: tuple[int, int] | None = None
    for rid, (v, net, length, individual) in prefixes.items():
        if v != version or (public and individual):
            continue
        network = (ipaddress.IPv4Network if v == 4 else ipaddress.IPv6Network)((net, length))
        if ip in network and (best is None or (length, rid) > best):
            best = (length, rid)
    return best[1] if best else None


def _queries(draw: Any, prefixes: dict[int, tuple[int, int, int, bool]], version: int) -> list[int]:
    w = WIDTH[version]
    qs = []
    for v, net, length, _ in prefixes.values():
        if v == version:
            qs += [
                net,
                net | ((1 << (w - length)) - 1),
                min(net + (1 << (w - length)), (1 << w) - 1),
            ]
    qs += draw(
        st.lists(
            st.integers(
                ROOT[version], ROOT[version] + (1 << (w - (16 if version == 4 else 32))) - 1
            ),
            max_size=20,
        )
    )
    return qs


@settings(max_examples=60, deadline=None)
@given(
    v4=prefix_sets(4),
    v6=prefix_sets(6),
    changes=st.lists(st.tuples(st.integers(0, 79), st.integers(-1, 2)), max_size=10),
    data=st.data(),
)
def test_lookup_equals_a_brute_force_scan(v4: Any, v6: Any, changes: Any, data: Any) -> None:
    prefixes = {i + 1: (4, *p) for i, p in enumerate(v4)}
    prefixes.update({100 + i: (6, *p) for i, p in enumerate(v6)})
    index = build(prefixes)
    for pick, delta in changes:  # registrations end, or change length, after the build
        if not prefixes:
            break
        rid = sorted(prefixes)[pick % len(prefixes)]
        v, net, length, individual = prefixes[rid]
        if delta < 0:
            del prefixes[rid]
            index.apply(rid, None)
        else:
            new_len = min(WIDTH[v], length + delta)
            prefixes[rid] = (v, net, new_len, individual)
            index.apply(rid, _record(rid, v, net, new_len, individual))
    for version in (4, 6):
        queries = _queries(data.draw, prefixes, version)
        for q in queries:
            for public in (False, True):
                got = index.find(version, q, mask=PUBLIC if public else FULL)
                assert (got.registration_id if got else None) == brute(prefixes, version, q, public)
        texts = [
            str(ipaddress.ip_address(q) if version == 4 else ipaddress.IPv6Address(q))
            for q in queries
        ]
        batch = index.lookup_many(texts)
        assert [r.registration_id if r else None for r in batch] == [
            brute(prefixes, version, q, False) for q in queries
        ]


@settings(max_examples=80, deadline=None)
@given(v4=prefix_sets(4), v6=prefix_sets(6))
def test_the_cidr_export_covers_exactly_the_input_addresses(v4: Any, v6: Any) -> None:
    for version, items in ((4, v4), (6, v6)):
        nets = [
            (ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network)((n, length))
            for n, length, _ in items
        ]
        hi = np.array([n >> 64 for n, _, _ in items], dtype=np.uint64)
        lo = np.array([n & ((1 << 64) - 1) for n, _, _ in items], dtype=np.uint64)
        plen = np.array([length for _, length, _ in items], dtype=np.int64)
        got = [
            ipaddress.ip_network(t)
            for t in cidr.lines(version, *cidr.aggregate_family(version, hi, lo, plen))
        ]
        assert got == list(ipaddress.collapse_addresses(nets))  # the same addresses, shortest list
        covered = {(int(n.network_address), int(n.broadcast_address)) for n in got}
        for n in nets:
            assert any(
                a <= int(n.network_address) and int(n.broadcast_address) <= b for a, b in covered
            )


@settings(max_examples=40, deadline=None)
@given(v4=prefix_sets(4), v6=prefix_sets(6), data=st.data())
def test_an_mmdb_export_answers_like_the_lookup(
    tmp_path_factory: Any, v4: Any, v6: Any, data: Any
) -> None:
    prefixes = {i + 1: (4, *p) for i, p in enumerate(v4)}
    prefixes.update({100 + i: (6, *p) for i, p in enumerate(v6)})
    index = build(prefixes)
    cols = index.cols
    rows = {v: np.flatnonzero(cols.version == v) for v in (4, 6)}
    order = np.concatenate([rows[4], rows[6]])
    path = str(tmp_path_factory.mktemp("mmdb") / "t.mmdb")
    mmdb.write_file(
        path,
        families={v: (cols.hi[rows[v]], cols.lo[rows[v]], cols.plen[rows[v]]) for v in (4, 6)},
        record_count=len(order),
        encode_record=lambda i, w: w.write(
            mmdb.encode({"handle": cols.handles[order[i]].decode()})
        ),
        database_type="test",
        description="test",
    )
    with maxminddb.open_database(path) as reader:
        for version in (4, 6):
            for q in _queries(data.draw, prefixes, version):
                text = str(ipaddress.ip_address(q) if version == 4 else ipaddress.IPv6Address(q))
                want = index.lookup(text)
                got = reader.get(text)
                assert (got or {}).get("handle") == (want.handle if want else None), text
