"""Parsing addresses and prefixes as a registry must: normalised, public, with a clear reason."""

from __future__ import annotations

import bisect
import ipaddress

from django.utils.translation import gettext as _

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


def _problem(net: IPNetwork) -> tuple[str, dict[str, str]] | None:
    """Why `net` is not a public, registrable prefix, as a kind and its values; None if it is."""
    if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped is not None:
        return "mapped", {}
    for block in _NOT_PUBLIC:
        if block.version == net.version and (net.subnet_of(block) or net.supernet_of(block)):  # type: ignore[arg-type]
            if block.network_address.is_multicast:
                return "multicast", {"block": str(block)}
            return "documentation", {"block": str(block)}
    if net.is_private:
        return "private", {"block": str(net)}
    if (
        net.is_loopback
        or net.is_link_local
        or net.is_unspecified
        or net.is_reserved
        or net.is_multicast
    ):
        return "reserved", {}
    if not net.is_global:
        return "not_global", {}
    return None


def _problem_reason(kind: str, values: dict[str, str]) -> str:
    """The reason alone, as `details[].reason` and registry row errors give it."""
    if kind == "mapped":
        return _("an IPv4-mapped IPv6 address (::ffff:0:0/96); give the IPv4 address instead")
    if kind == "multicast":
        # Translators: %(block)s is an address range such as 224.0.0.0/4.
        return _("a multicast range (%(block)s)") % values
    if kind == "documentation":
        # Translators: %(block)s is an address range such as 192.0.2.0/24.
        return _("a reserved or documentation range (%(block)s), not public address space") % values
    if kind == "private":
        # Translators: %(block)s is an address range such as 10.0.0.0/8.
        return _("a private range (%(block)s), not public address space") % values
    if kind == "reserved":
        return _("a reserved range, not public address space")
    return _("not public address space")


def _problem_message(kind: str, values: dict[str, str]) -> str:
    """The whole sentence: '<field>: <prefix> is <reason>' (the field's name stays in English)."""
    if kind == "mapped":
        text = _(
            # Translators: %(field)s is a field's name (kept in English); %(net)s the prefix given.
            "%(field)s: %(net)s is an IPv4-mapped IPv6 address (::ffff:0:0/96); "
            "give the IPv4 address instead"
        )
    elif kind == "multicast":
        # Translators: %(net)s is the prefix given; %(block)s the reserved range it falls in.
        text = _("%(field)s: %(net)s is a multicast range (%(block)s)")
    elif kind == "documentation":
        text = _(
            # Translators: %(net)s is the prefix given; %(block)s the reserved range it falls in.
            "%(field)s: %(net)s is a reserved or documentation range (%(block)s), "
            "not public address space"
        )
    elif kind == "private":
        # Translators: %(net)s is the prefix given; %(block)s the private range (the same prefix).
        text = _("%(field)s: %(net)s is a private range (%(block)s), not public address space")
    elif kind == "reserved":
        text = _("%(field)s: %(net)s is a reserved range, not public address space")
    else:
        text = _("%(field)s: %(net)s is not public address space")
    return text % values


def prefix_problem(net: IPNetwork) -> str | None:
    """Why `net` is not a public, registrable prefix (in the current language); None if it is."""
    found = _problem(net)
    return _problem_reason(*found) if found else None


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
        raise InvalidInput(
            _("%(field)s: empty") % {"field": field},
            details=[{"field": field, "reason": _("required")}],
        )
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
            # Translators: %(field)s is a field's name (kept in English); %(raw)r is what was typed,
            # in quotes.
            _("%(field)s: %(raw)r is not an IPv4 or IPv6 address or prefix")
            % {"field": field, "raw": raw},
            details=[{"field": field, "reason": _("malformed address or prefix"), "value": raw}],
        ) from None
    if strict is None and "/" in raw and loose.network_address != ipaddress.ip_interface(raw).ip:
        values = {"field": field, "raw": raw, "net": str(loose)}
        raise InvalidInput(
            # Translators: %(field)s is a field's name (kept in English); %(raw)s is the prefix as
            # typed; %(net)s the same prefix with its host bits cleared.
            _("%(field)s: %(raw)s has host bits set; did you mean %(net)s?") % values,
            details=[
                {
                    "field": field,
                    "reason": _("host bits set; did you mean %(net)s?") % values,
                    "value": raw,
                }
            ],
        )
    found = _problem(loose)
    if found:
        kind, values = found
        raise InvalidInput(
            _problem_message(kind, {**values, "field": field, "net": str(loose)}),
            details=[{"field": field, "reason": _problem_reason(kind, values), "value": raw}],
        )
    return loose
