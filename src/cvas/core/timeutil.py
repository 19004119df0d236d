"""Pakistan dates: deadlines and effective dates are days in Asia/Karachi."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

PAKISTAN = ZoneInfo("Asia/Karachi")


def now() -> dt.datetime:
    return timezone.now()


def pk_today() -> dt.date:
    return timezone.now().astimezone(PAKISTAN).date()


def pk_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(PAKISTAN).date()


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
