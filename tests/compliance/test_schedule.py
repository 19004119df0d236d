"""Return periods from the regimes: calendar months or quarters, cut where the kind of period
changes, with the regime's deadline; never overlapping."""

from __future__ import annotations

import datetime as dt
import itertools

from cvas.compliance.schedule import Schedule, calendar_period, period_label
from cvas.licensing.models import Regime

D = dt.date


def regime(code: str, start: dt.date, end: dt.date | None, period: str, days: int) -> Regime:
    return Regime(
        code=code,
        name_en=code,
        effective_from=start,
        effective_to=end,
        return_period=period,
        return_deadline_days=days,
    )


def test_calendar_periods_and_their_labels() -> None:
    assert calendar_period(D(2026, 2, 14), "quarterly") == (D(2026, 1, 1), D(2026, 3, 31))
    assert calendar_period(D(2026, 12, 31), "quarterly") == (D(2026, 10, 1), D(2026, 12, 31))
    assert calendar_period(D(2024, 2, 14), "monthly") == (D(2024, 2, 1), D(2024, 2, 29))
    assert period_label(D(2026, 7, 1), D(2026, 9, 30)) == "2026-Q3"
    assert period_label(D(2026, 7, 1), D(2026, 7, 31)) == "2026-07"
    assert period_label(D(2026, 7, 16), D(2026, 9, 30)) == "2026-07-16 to 2026-09-30"


def test_quarters_across_regimes_of_the_same_kind_take_the_closing_regimes_deadline() -> None:
    s = Schedule(
        [
            regime("a", D(2024, 12, 1), D(2025, 11, 12), "quarterly", 30),
            regime("b", D(2025, 11, 13), None, "quarterly", 45),
        ]
    )
    periods = s.periods(start=D(2025, 8, 20), until=D(2026, 1, 5))
    assert [(p.label, p.due_on, p.regime_code) for p in periods] == [
        ("2025-Q3", D(2025, 10, 30), "a"),
        ("2025-Q4", D(2026, 2, 14), "b"),
        ("2026-Q1", D(2026, 5, 15), "b"),
    ]


def test_a_switch_to_monthly_returns_cuts_the_quarter_and_periods_never_overlap() -> None:
    s = Schedule(
        [
            regime("q", D(2024, 1, 1), D(2026, 2, 15), "quarterly", 30),
            regime("m", D(2026, 2, 16), None, "monthly", 15),
        ]
    )
    periods = s.periods(start=D(2025, 12, 1), until=D(2026, 4, 1))
    assert [(p.start, p.end, p.due_on) for p in periods] == [
        (D(2025, 10, 1), D(2025, 12, 31), D(2026, 1, 30)),
        (D(2026, 1, 1), D(2026, 2, 15), D(2026, 3, 17)),
        (D(2026, 2, 16), D(2026, 2, 28), D(2026, 3, 15)),
        (D(2026, 3, 1), D(2026, 3, 31), D(2026, 4, 15)),
        (D(2026, 4, 1), D(2026, 4, 30), D(2026, 5, 15)),
    ]
    for a, b in itertools.pairwise(periods):
        assert b.start == a.end + dt.timedelta(days=1)


def test_no_regime_no_returns_and_missing_after_the_next_deadline() -> None:
    s = Schedule([regime("q", D(2024, 2, 17), None, "quarterly", 30)])
    assert s.periods(start=D(2023, 5, 1), until=D(2023, 12, 31)) == []
    (first, *_rest) = s.periods(start=D(2023, 5, 1), until=D(2024, 5, 1))
    assert (first.start, first.end) == (D(2024, 1, 1), D(2024, 3, 31))
    assert s.missing_from(first) == D(2024, 7, 31)
