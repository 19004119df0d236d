"""The client's address: REMOTE_ADDR, or a forwarding header only when the peer is a trusted proxy.

A header such as X-Forwarded-For is written by whoever sends the request, so it is believed only
when the connection comes from a proxy named in settings.CVAS_TRUSTED_PROXIES (addresses or
prefixes). The header is then read from the right: each hop appends the address it received the
request from, so the first address that is not itself a trusted proxy is the client. Anything
malformed falls back to the peer's own address, never to a value the client chose.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=1)
def _trusted() -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False)
        for p in getattr(settings, "CVAS_TRUSTED_PROXIES", [])
        if p.strip()
    )


def _reset(**kwargs: object) -> None:
    if kwargs.get("setting") in ("CVAS_TRUSTED_PROXIES", "CVAS_CLIENT_IP_HEADER"):
        _trusted.cache_clear()


setting_changed.connect(_reset)


def _parse(value: str) -> Address | None:
    text = value.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(request: HttpRequest) -> str:
    """The address to count, lock and log this request under."""
    cached = getattr(request, "_cvas_client_address", None)
    if cached is not None:
        return str(cached)
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    result = str(peer) if peer is not None else "unknown"
    trusted = _trusted()
    if peer is not None and trusted and _is_trusted(peer, trusted):
        header = getattr(settings, "CVAS_CLIENT_IP_HEADER", "X-Forwarded-For")
        hops = [h for h in (request.headers.get(header) or "").split(",") if h.strip()]
        for hop in reversed(hops):
            address = _parse(hop)
            if address is None:
                break  # a hop we cannot read: stop at the last proxy we trust
            result = str(address)
            if not _is_trusted(address, trusted):
                break
    request._cvas_client_address = result  # type: ignore[attr-defined]
    return result


def client_key(request: HttpRequest) -> str:
    """The address as a counting key: an IPv6 client is counted by its /64, which one subscriber
    usually holds whole (else a client could take a new address for every request)."""
    text = client_address(request)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return text
