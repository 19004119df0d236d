"""Reads for the public pages: verification by brand, website or gateway address, register rows,
and the figures behind the statistics page."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import Counter
from typing import Any

from cvas.core.errors import InvalidInput
from cvas.core.timeutil import pk_today
from cvas.licensing import selectors as licensing
from cvas.licensing.choices import LicenceStatus
from cvas.licensing.models import Licence, LicenceEvent
from cvas.licensing.selectors import Verification


def _as_address(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def verify_address(text: str) -> Any:
    """An address: the registry's lookup index answers (cvas.lookup), then the gateway prefixes
    declared in licence applications. A prefix: the licence whose declared gateway prefixes hold
    all of it (most specific first)."""
    net = _as_address(text)
    if net is None:
        raise InvalidInput(
            f"address: {text!r} is not an IP address",
            details=[{"field": "q", "reason": "not an IP address"}],
        )
    if net.num_addresses == 1 and "/" not in text:
        from cvas.lookup.selectors import verify_address as lookup_verify

        return lookup_verify(str(net.network_address))
    best = licensing.declared_gateway(net)
    return Verification(
        query=str(net),
        kind="address",
        matched=best[0] if best else None,
        licence=best[1] if best else None,
    )


def verify_anything(text: str) -> Any:
    """Is this brand, website or gateway address licensed? Tries what the text looks like first."""
    query = text.strip()
    if _as_address(query) is not None:
        return verify_address(query)
    looks_like_domain = "." in query and " " not in query
    if looks_like_domain:
        result = licensing.verify_domain(query)
        if result.licence is None:
            by_brand = licensing.verify_brand(query)
            if by_brand.licence is not None:
                return by_brand
        return result
    return licensing.verify_brand(query)


REGISTER_COLUMNS = [
    "number",
    "holder",
    "brands",
    "status",
    "issued_on",
    "expires_on",
    "regime",
    "regime_name",
    "public_record",
    "demo",
]


def register_row(lic: Licence) -> dict[str, Any]:
    """One licence as the CSV and JSON downloads give it (the API's field names)."""
    return {
        "number": lic.number,
        "holder": lic.holder.name,
        "brands": [b.name for b in lic.brands.all()],
        "status": lic.status,
        "issued_on": lic.issued_on.isoformat(),
        "expires_on": lic.expires_on.isoformat(),
        "regime": lic.regime.code,
        "regime_name": lic.regime.name_en,
        "public_record": lic.is_public_record,
        "demo": lic.is_demo,
    }


def _month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    ends = []
    year, month = first.year, first.month
    while True:
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        end = min(nxt - dt.timedelta(days=1), last)
        ends.append(end)
        if nxt > last:
            return ends
        year, month = nxt.year, nxt.month


def licences_by_status_over_time(*, months: int = 12) -> tuple[list[dt.date], dict[str, list[int]]]:
    """For each of the last `months` month ends (the last one being today), licences by status,
    replayed from each licence's status history."""
    today = pk_today()
    events = list(
        LicenceEvent.objects.order_by("licence_id", "at", "pk").values_list(
            "licence_id", "effective_on", "to_status"
        )
    )
    index = today.year * 12 + today.month - 1 - (months - 1)
    start = dt.date(index // 12, index % 12 + 1, 1)
    days = _month_ends(start, today)
    timeline: dict[int, list[tuple[dt.date, str]]] = {}
    for licence_id, day, status in events:
        timeline.setdefault(licence_id, []).append((day, status))
    series: dict[str, list[int]] = {s: [0] * len(days) for s in LicenceStatus.values}
    for history in timeline.values():
        for i, day in enumerate(days):
            # The status on `day`: that of the last recorded event already in effect.
            in_effect = [status for when, status in history if when <= day]
            if in_effect:
                series[in_effect[-1]][i] += 1
    return days, series


def licences_by_status_now() -> dict[str, int]:
    counts = Counter(Licence.objects.values_list("status", flat=True))
    return {s: counts.get(s, 0) for s in LicenceStatus.values}
