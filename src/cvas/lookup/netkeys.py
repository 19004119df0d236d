"""Addresses and prefixes as integers: parsing text fast and strictly, and printing it back."""

from __future__ import annotations

import socket
import struct

from django.utils.translation import gettext as _

from cvas.core.errors import InvalidInput

AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6
WIDTH = {4: 32, 6: 128}
_MAPPED = 0xFFFF << 32  # ::ffff:0:0/96, IPv4-mapped IPv6 addresses
_QQ = struct.Struct(">QQ")
inet_pton = socket.inet_pton
inet_ntop = socket.inet_ntop


def parse_address(text: str) -> tuple[int, int] | None:
    """(version, integer) of an IPv4 or IPv6 address, or None when it is not one. An IPv4-mapped
    IPv6 address (::ffff:a.b.c.d) is the IPv4 address. Strict: no zone, no prefix, no padding."""
    try:
        if ":" in text:
            hi, lo = _QQ.unpack(inet_pton(AF_INET6, text))
            if hi == 0 and lo >> 32 == 0xFFFF:
                return 4, lo & 0xFFFFFFFF
            return 6, hi << 64 | lo
        return 4, int.from_bytes(inet_pton(AF_INET, text), "big")
    except (OSError, ValueError, TypeError):
        return None


def address_or_error(text: str, field: str = "address") -> tuple[int, int]:
    raw = (text or "").strip()
    parsed = parse_address(raw)
    if parsed is None:
        raise InvalidInput(
            # Translators: %(field)s is a parameter's name (e.g. address); %(value)s what was given.
            _("%(field)s: %(value)s is not an IPv4 or IPv6 address")
            % {"field": field, "value": repr(raw[:60])},
            details=[{"field": field, "reason": _("not an IPv4 or IPv6 address")}],
        )
    return parsed


def parse_prefix(text: str, field: str = "prefix") -> tuple[int, int, int]:
    """(version, first address, length) of a prefix in CIDR form (a bare address is a host
    prefix); host bits set is an error naming the prefix meant."""
    raw = (text or "").strip()
    addr, slash, length_text = raw.partition("/")
    parsed = parse_address(addr)
    if parsed is None:
        raise InvalidInput(
            # Translators: %(field)s is a parameter's name (e.g. prefix); %(value)s what was given.
            _("%(field)s: %(value)s is not an IPv4 or IPv6 prefix")
            % {"field": field, "value": repr(raw[:60])},
            details=[{"field": field, "reason": _("not an IPv4 or IPv6 prefix")}],
        )
    version, value = parsed
    if ":" in addr and version == 4:
        raise InvalidInput(
            _("%(field)s: give the IPv4 prefix, not an IPv4-mapped IPv6 one") % {"field": field},
            details=[{"field": field, "reason": _("IPv4-mapped IPv6 prefix")}],
        )
    width = WIDTH[version]
    if not slash:
        return version, value, width
    if not length_text.isdigit() or int(length_text) > width:
        raise InvalidInput(
            _("%(field)s: the prefix length must be 0 to %(width)s")
            % {"field": field, "width": width},
            details=[
                {
                    "field": field,
                    "reason": _("prefix length must be 0 to %(width)s") % {"width": width},
                }
            ],
        )
    length = int(length_text)
    mask = host_mask(version, length)
    if value & mask:
        meant = f"{format_address(version, value & ~mask)}/{length}"
        raise InvalidInput(
            # Translators: %(prefix)s is the prefix given, %(meant)s the same with the host bits cleared.
            _("%(field)s: %(prefix)s has host bits set; did you mean %(meant)s?")
            % {"field": field, "prefix": raw, "meant": meant},
            details=[
                {
                    "field": field,
                    "reason": _("host bits set; did you mean %(meant)s?") % {"meant": meant},
                }
            ],
        )
    return version, value, length


def host_mask(version: int, length: int) -> int:
    return (1 << (WIDTH[version] - length)) - 1


def format_address(version: int, value: int) -> str:
    if version == 4:
        return inet_ntop(AF_INET, value.to_bytes(4, "big"))
    return inet_ntop(AF_INET6, value.to_bytes(16, "big"))


def format_prefix(version: int, value: int, length: int) -> str:
    return f"{format_address(version, value)}/{length}"


def to_bytes(version: int, value: int) -> bytes:
    """The registry's fixed-width form (4 or 16 bytes, big-endian: they sort as addresses do)."""
    return value.to_bytes(4 if version == 4 else 16, "big")
