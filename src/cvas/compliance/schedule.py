"""Return periods and deadlines from the regimes, and the days a licence was in force.

A period is a calendar month or quarter, as the regime in force on its first day says; it is cut
short where the next regime changes the kind of period, so that periods never overlap. The return is
due by the period's last day plus the regime's `return_deadline_days`; it is late the day after, and
missing once the following period's deadline has passed too. All dates are Pakistan dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cvas.licensing.choices import LicenceAction, LicenceStatus, ReturnPeriod
from cvas.licensing.models import Licence, LicenceEvent, Regime

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    due_on: dt.date
    kind: str
    regime_code: str

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)


def _month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - ONE_DAY


def calendar_period(day: dt.date, kind: str) -> tuple[dt.date, dt.date]:
    """The calendar month or quarter that contains `day`."""
    if kind == ReturnPeriod.MONTHLY:
        return day.replace(day=1), _month_end(day)
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    return start, _month_end(dt.date(day.year, first_month + 2, 1))


def period_label(start: dt.date, end: dt.date) -> str:
    """2026-Q3 for a calendar quarter, 2026-07 for a month, else the two dates."""
    if start.day == 1 and end == _month_end(start):
        return f"{start:%Y-%m}"
    if (start.day, (start.month - 1) % 3) == (1, 0) and end == calendar_period(
        start, ReturnPeriod.QUARTERLY
    )[1]:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"


class Schedule:
    """The periods of the regimes (loaded once), for any licence."""

    def __init__(self, regimes: Iterable[Regime]):
        self.regimes: list[Regime] = sorted(regimes, key=lambda r: r.effective_from)

    @classmethod
    def load(cls) -> Schedule:
        return cls(Regime.objects.order_by("effective_from"))

    def in_force(self, day: dt.date) -> Regime | None:
        for regime in reversed(self.regimes):
            if regime.effective_from <= day and (
                regime.effective_to is None or day <= regime.effective_to
            ):
                return regime
        return None

    def _next_regime_start(self, day: dt.date) -> dt.date | None:
        starts = [r.effective_from for r in self.regimes if r.effective_from > day]
        return min(starts, default=None)

    def _period_from(self, cursor: dt.date, *, first: bool) -> Period | None:
        """The period that starts at `cursor` (or, for the first one, contains it)."""
        regime = self.in_force(cursor)
        if regime is None:
            return None
        natural_start, end = calendar_period(cursor, regime.return_period)
        start = natural_start if first else cursor
        if regime.effective_to is not None and regime.effective_to < end:
            following = self.in_force(regime.effective_to + ONE_DAY)
            if following is None or following.return_period != regime.return_period:
                end = regime.effective_to
        closing = self.in_force(end) or regime
        return Period(
            start=start,
            end=end,
            due_on=end + dt.timedelta(days=closing.return_deadline_days),
            kind=regime.return_period,
            regime_code=closing.code,
        )

    def periods(self, *, start: dt.date, until: dt.date) -> list[Period]:
        """Every period from the one containing `start` to the one containing `until`."""
        out: list[Period] = []
        cursor: dt.date | None = start
        while cursor is not None and cursor <= until:
            period = self._period_from(cursor, first=not out)
            if period is None:
                cursor = self._next_regime_start(cursor)
                continue
            out.append(period)
            cursor = period.end + ONE_DAY
        return out

    def following(self, period: Period) -> Period:
        """The next period; where no regime defines one, a period of the same length."""
        nxt = self._period_from(period.end + ONE_DAY, first=False)
        if nxt is not None:
            return nxt
        length = period.end - period.start
        return Period(
            start=period.end + ONE_DAY,
            end=period.end + ONE_DAY + length,
            due_on=period.due_on + length + ONE_DAY,
            kind=period.kind,
            regime_code=period.regime_code,
        )

    def missing_from(self, period: Period) -> dt.date:
        """The first day an unfiled return counts as missing: after the following period's deadline."""
        return self.following(period).due_on + ONE_DAY


def active_intervals(
    licence: Licence, events: Sequence[LicenceEvent]
) -> list[tuple[dt.date, dt.date]]:
    """The spans of days (inclusive) on which the licence was active, from its status history."""
    spans: list[tuple[dt.date, dt.date]] = []
    opened: dt.date | None = None
    active = LicenceStatus.ACTIVE
    for event in events:
        if event.to_status == active and event.from_status != active:
            first_grant = event.action in (LicenceAction.ISSUE, LicenceAction.RECORD_PUBLIC)
            opened = licence.issued_on if first_grant else event.effective_on
        elif event.from_status == active and event.to_status != active and opened is not None:
            last = min(event.effective_on - ONE_DAY, licence.expires_on)
            if last >= opened:
                spans.append((opened, last))
            opened = None
    if opened is not None:
        spans.append((opened, licence.expires_on))
    if not events and licence.status == active:
        spans.append((licence.issued_on, licence.expires_on))
    return spans


def overlaps(period: Period, spans: Sequence[tuple[dt.date, dt.date]]) -> bool:
    return any(first <= period.end and period.start <= last for first, last in spans)
