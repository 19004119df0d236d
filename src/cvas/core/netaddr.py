"""Parsing addresses and prefixes as a registry must: normalised, public, with a clear reason."""

from __future__ import annotations

import bisect
import ipaddress

from cvas.core.errors import InvalidInput

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges that look global to `ipaddress` but must never be registered (RFC 6890 and friends).
_NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "2001:db8::/32",
        "3fff::/20",
        "2002::/16",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "ff00::/8",
        "fc00::/7",
        "fe80::/10",
        "2001::/23",
    )
]


def prefix_problem(net: IPNetwork) -> str | None:
    """Why `net` is not a public, registrable prefix; None if it is."""
    if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address (::ffff:0:0/96); give the IPv4 address instead"
    for block in _NOT_PUBLIC:
        if block.version == net.version and (net.subnet_of(block) or net.supernet_of(block)):  # type: ignore[arg-type]
            if block.network_address.is_multicast:
                return f"a multicast range ({block})"
            return f"a reserved or documentation range ({block}), not public address space"
    if net.is_private:
        return f"a private range ({net}), not public address space"
    if (
        net.is_loopback
        or net.is_link_local
        or net.is_unspecified
        or net.is_reserved
        or net.is_multicast
    ):
        return "a reserved range, not public address space"
    if not net.is_global:
        return "not public address space"
    return None


def _blocked_intervals() -> dict[int, tuple[list[int], list[int]]]:
    """Every range that `prefix_problem` might refuse, merged into sorted disjoint intervals per
    version: a prefix that meets none of them is public without the slower checks (a superset, so
    anything that meets one still gets the exact answer and message from `prefix_problem`)."""
    nets: list[IPNetwork] = list(_NOT_PUBLIC)
    nets += [
        ipaddress.ip_network(n) for n in ("100.64.0.0/10", "::/128", "::1/128", "::ffff:0:0/96")
    ]
    for constants in (ipaddress._IPv4Constants, ipaddress._IPv6Constants):  # type: ignore[attr-defined]
        for name in dir(constants):
            if name.startswith("__"):
                continue
            value = getattr(constants, name)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
                    nets.append(item)
                elif isinstance(item, ipaddress.IPv4Address | ipaddress.IPv6Address):
                    nets.append(ipaddress.ip_network(item))
    out: dict[int, tuple[list[int], list[int]]] = {}
    for version in (4, 6):
        spans = sorted(
            (int(n.network_address), int(n.broadcast_address)) for n in nets if n.version == version
        )
        merged: list[list[int]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        out[version] = ([m[0] for m in merged], [m[1] for m in merged])
    return out


_BLOCKED = _blocked_intervals()


def may_be_non_public(net: IPNetwork) -> bool:
    """Cheap test: False means certainly public; True means ask `prefix_problem`."""
    starts, ends = _BLOCKED[net.version]
    lo, hi = int(net.network_address), int(net.broadcast_address)
    i = bisect.bisect_right(starts, hi) - 1
    return i >= 0 and ends[i] >= lo


def prefix_bounds(net: IPNetwork) -> tuple[int, int, bytes, bytes]:
    """(version, length, first address, last address) as fixed-width bytes that sort as addresses do."""
    return net.version, net.prefixlen, net.network_address.packed, net.broadcast_address.packed


def parse_public_prefix(text: str, *, field: str = "prefix") -> IPNetwork:
    """Normalise a prefix ("203.0.113.0/24", "2400:cb00::/32"; a bare address is a /32 or /128)."""
    raw = text.strip()
    if not raw:
        raise InvalidInput(f"{field}: empty", details=[{"field": field, "reason": "required"}])
    try:
        strict = ipaddress.ip_network(raw)
    except ValueError:
        strict = None
    if strict is not None and not may_be_non_public(strict):
        return strict
    try:
        loose = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise InvalidInput(
            f"{field}: {raw!r} is not an IPv4 or IPv6 address or prefix",
            details=[{"field": field, "reason": "malformed address or prefix", "value": raw}],
        ) from None
    if strict is None and "/" in raw and loose.network_address != ipaddress.ip_interface(raw).ip:
        raise InvalidInput(
            f"{field}: {raw} has host bits set; did you mean {loose}?",
            details=[
                {"field": field, "reason": f"host bits set; did you mean {loose}?", "value": raw}
            ],
        )
    problem = prefix_problem(loose)
    if problem:
        raise InvalidInput(
            f"{field}: {loose} is {problem}",
            details=[{"field": field, "reason": problem, "value": raw}],
        )
    return loose
