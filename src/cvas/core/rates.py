"""Rates such as "60/m" as the settings give them (pure: the settings module imports it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$")
OFF = {"", "0", "off", "none", "unlimited"}


@dataclass(frozen=True)
class Rate:
    """At most `count` requests in each window of `seconds`."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


def parse_rate(text: str | None, *, name: str = "rate") -> Rate | None:
    """'60/m', '1000/h', '5/10m'; None for no limit ('', '0', 'off')."""
    if text is None or text.strip().lower() in OFF:
        return None
    match = _RATE.match(text.lower())
    if not match:
        raise ImproperlyConfigured(
            f"{name} must look like 60/m (count/unit, unit s, m, h or d; or 'off'); got {text!r}"
        )
    count, multiple, unit = match.groups()
    seconds = (int(multiple) if multiple else 1) * UNITS[unit[0]]
    if int(count) <= 0 or seconds <= 0:
        return None
    return Rate(int(count), seconds)
