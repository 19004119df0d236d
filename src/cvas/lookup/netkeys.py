"""Addresses and prefixes as integers: parsing text fast and strictly, and printing it back."""

from __future__ import annotations

import socket
import struct

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
            f"{field}: {raw[:60]!r} is not an IPv4 or IPv6 address",
            details=[{"field": field, "reason": "not an IPv4 or IPv6 address"}],
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
            f"{field}: {raw[:60]!r} is not an IPv4 or IPv6 prefix",
            details=[{"field": field, "reason": "not an IPv4 or IPv6 prefix"}],
        )
    version, value = parsed
    if ":" in addr and version == 4:
        raise InvalidInput(
            f"{field}: give the IPv4 prefix, not an IPv4-mapped IPv6 one",
            details=[{"field": field, "reason": "IPv4-mapped IPv6 prefix"}],
        )
    width = WIDTH[version]
    if not slash:
        return version, value, width
    if not length_text.isdigit() or int(length_text) > width:
        raise InvalidInput(
            f"{field}: the prefix length must be 0 to {width}",
            details=[{"field": field, "reason": f"prefix length must be 0 to {width}"}],
        )
    length = int(length_text)
    mask = host_mask(version, length)
    if value & mask:
        meant = f"{format_address(version, value & ~mask)}/{length}"
        raise InvalidInput(
            f"{field}: {raw} has host bits set; did you mean {meant}?",
            details=[{"field": field, "reason": f"host bits set; did you mean {meant}?"}],
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
