"""Finding active prefixes that overlap, on both databases, with index range scans only.

Two CIDR prefixes either nest or are disjoint. So the registrations overlapping a prefix P are
those inside it (first address between P's first and last: one range scan of the index on
(ip_version, range_start)) and those containing it (first address equal to one of P's at most
129 supernet starts and last address at or beyond P's: one IN lookup on the same index).
Overlaps are allowed only within one delegation family.

For a large import, `sweep` walks every active prefix once in address order with a stack of the
prefixes still open: constant memory, one pass, every conflict found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection

from cvas.registry.choices import EndpointKind, EndpointStatus
from cvas.registry.models import EndpointRegistration


def supernet_starts(start: bytes, length: int) -> list[bytes]:
    """The first address of every prefix that contains (start, length), the prefix included."""
    width = len(start) * 8
    value = int.from_bytes(start, "big")
    out = {((value >> (width - n)) << (width - n) if n else 0) for n in range(length + 1)}
    return [v.to_bytes(len(start), "big") for v in sorted(out)]


def conflicting(
    *,
    version: int,
    length: int,
    start: bytes,
    end: bytes,
    family: str,
    exclude_pk: int | None = None,
) -> EndpointRegistration | None:
    """An active prefix of another family that overlaps, or None."""
    active = EndpointRegistration.objects.filter(
        status=EndpointStatus.ACTIVE, kind=EndpointKind.PREFIX, ip_version=version
    ).exclude(family=family)
    if exclude_pk is not None:
        active = active.exclude(pk=exclude_pk)
    inside = active.filter(range_start__gte=start, range_start__lte=end).order_by("range_start")
    found = inside.select_related("holder_organisation").first()
    if found is not None:
        return found
    around = active.filter(
        range_start__in=supernet_starts(start, length), range_end__gte=end
    ).order_by("prefix_len")
    return around.select_related("holder_organisation").first()


@dataclass(frozen=True, slots=True)
class Span:
    version: int
    start: bytes
    end: bytes
    family: str
    key: int  # the registration's id


@dataclass(frozen=True, slots=True)
class Clash:
    inner: Span
    outer: Span


def sweep(spans: Iterable[Span]) -> Iterator[Clash]:
    """Given active prefixes ordered by (version, start, end descending), yield each one that sits
    inside a prefix of another family, with the innermost such prefix."""
    stack: list[Span] = []
    version = -1
    for span in spans:
        if span.version != version:
            stack.clear()
            version = span.version
        while stack and stack[-1].end < span.start:
            stack.pop()
        for outer in reversed(stack):
            if outer.family != span.family:
                yield Clash(inner=span, outer=outer)
                break
        stack.append(span)


def active_spans(batch: int = 20_000) -> Iterator[Span]:
    """Every active prefix in address order, streamed (a server-side cursor on PostgreSQL)."""
    sql = (
        "SELECT ip_version, range_start, range_end, family, id FROM registry_endpointregistration "
        "WHERE status = 'active' AND kind = 'prefix' "
        "ORDER BY ip_version, range_start, range_end DESC"
    )
    if connection.vendor == "postgresql":
        cursor = connection.connection.cursor(name="cvas_sweep")  # type: ignore[union-attr]
        cursor.itersize = batch
        cursor.execute(sql)
    else:
        cursor = connection.cursor()
        cursor.execute(sql)
    try:
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                break
            for v, s, e, f, pk in rows:
                yield Span(v, bytes(s), bytes(e), f, pk)
    finally:
        cursor.close()
