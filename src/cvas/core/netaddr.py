"""Parsing addresses and prefixes as a registry must: normalised, public, with a clear reason."""

from __future__ import annotations

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


def parse_public_prefix(text: str, *, field: str = "prefix") -> IPNetwork:
    """Normalise a prefix ("203.0.113.0/24", "2400:cb00::/32"; a bare address is a /32 or /128)."""
    raw = text.strip()
    if not raw:
        raise InvalidInput(f"{field}: empty", details=[{"field": field, "reason": "required"}])
    try:
        loose = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise InvalidInput(
            f"{field}: {raw!r} is not an IPv4 or IPv6 address or prefix",
            details=[{"field": field, "reason": "malformed address or prefix", "value": raw}],
        ) from None
    if "/" in raw and loose.network_address != ipaddress.ip_interface(raw).ip:
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
