"""The cost model: two estimates of the foreign exchange that international traffic costs.

The seeds give two figures that do not agree: international bandwidth at about 1 USD per MB, and about
10,000 USD per minute for each 1 Tbps of use. One Tbps for one minute carries 7.5 TB (10^12 bits/s x
60 s / 8), which the first figure prices at 7.5 million USD and the second at 10,000 USD. Both are
parameters (stored as data, with their source); every estimate says which one it uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop

from cvas.compliance.choices import CostParameterKey as K
from cvas.core.timeutil import PAKISTAN

BYTES_PER_MB = Decimal(10**6)  # decimal megabytes, as bandwidth is sold
BITS_PER_TBPS = Decimal(10**12)
SEED_SOURCE = (
    "News report, 24 Feb 2025: PTA launches a licensing framework for VPN services "
    "(quoting PTA data: 'approximately $10,000 per minute for every 1Tbps increase in data usage'; "
    "'international bandwidth consumption is charged at $1 per MB in foreign exchange')"
)


@dataclass(frozen=True)
class ParameterDefault:
    value: Decimal
    unit: str
    source: str
    is_assumption: bool
    as_of: dt.date | None


DEFAULTS: dict[str, ParameterDefault] = {
    K.PRICE_PER_MB_USD: ParameterDefault(
        Decimal("1"), "USD per MB", SEED_SOURCE, False, dt.date(2025, 2, 24)
    ),
    K.PRICE_PER_TBPS_MINUTE_USD: ParameterDefault(
        Decimal("10000"), "USD per Tbps-minute", SEED_SOURCE, False, dt.date(2025, 2, 24)
    ),
    K.USD_TO_PKR: ParameterDefault(
        Decimal("281"),
        "PKR per USD",
        "Assumption: an approximate interbank rate around 13 Nov 2025, not from the seeds; "
        "set the State Bank of Pakistan's published rate and its date.",
        True,
        dt.date(2025, 11, 13),
    ),
}


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    value: Decimal
    unit: str
    source: str
    is_assumption: bool
    as_of: dt.date | None


@dataclass(frozen=True)
class CostParameters:
    items: dict[str, Parameter]

    @property
    def price_per_mb_usd(self) -> Decimal:
        return self.items[K.PRICE_PER_MB_USD].value

    @property
    def price_per_tbps_minute_usd(self) -> Decimal:
        return self.items[K.PRICE_PER_TBPS_MINUTE_USD].value

    @property
    def usd_to_pkr(self) -> Decimal:
        return self.items[K.USD_TO_PKR].value


def period_seconds(start: dt.date, end: dt.date) -> int:
    """Seconds from the first day's start to the last day's end, Pakistan time."""
    first = dt.datetime.combine(start, dt.time(), tzinfo=PAKISTAN)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=PAKISTAN)
    return int((after - first).total_seconds())


def volume_cost_usd(international_bytes: int, params: CostParameters) -> Decimal:
    """The volume model: the international bytes at the price per MB."""
    return Decimal(international_bytes) / BYTES_PER_MB * params.price_per_mb_usd


def average_international_tbps(international_bytes: int, seconds: int) -> Decimal:
    return Decimal(international_bytes * 8) / Decimal(seconds) / BITS_PER_TBPS


def rate_cost_usd(international_bytes: int, seconds: int, params: CostParameters) -> Decimal:
    """The rate model: the period's average international rate (Tbps) x its minutes x the price per Tbps-minute."""
    minutes = Decimal(seconds) / Decimal(60)
    return (
        average_international_tbps(international_bytes, seconds)
        * minutes
        * params.price_per_tbps_minute_usd
    )


@dataclass(frozen=True)
class Estimate:
    international_bytes: int
    seconds: int
    average_tbps: Decimal
    volume_usd: Decimal
    rate_usd: Decimal
    volume_pkr: Decimal
    rate_pkr: Decimal


def estimate(
    international_bytes: int, start: dt.date, end: dt.date, params: CostParameters
) -> Estimate:
    seconds = period_seconds(start, end)
    volume = volume_cost_usd(international_bytes, params)
    rate = rate_cost_usd(international_bytes, seconds, params)
    return Estimate(
        international_bytes=international_bytes,
        seconds=seconds,
        average_tbps=average_international_tbps(international_bytes, seconds),
        volume_usd=volume,
        rate_usd=rate,
        volume_pkr=volume * params.usd_to_pkr,
        rate_pkr=rate * params.usd_to_pkr,
    )


TBPS_MINUTE_BYTES = BITS_PER_TBPS * 60 / 8  # 7.5 x 10^12 bytes = 7.5 TB


@dataclass(frozen=True)
class Disagreement:
    """What one Tbps for one minute costs under each model, and how far apart they are."""

    bytes: Decimal
    terabytes: Decimal
    volume_usd: Decimal
    rate_usd: Decimal
    ratio: Decimal
    statement: str


DISAGREEMENT_STATEMENT = gettext_noop(
    "The two seed figures imply very different prices: 1 Tbps for a minute is %(tb)s TB, "
    "which the first (the volume model, %(price_per_mb)s USD per MB) prices at %(volume)s USD, "
    "while the second (the rate model) prices it at %(rate)s USD: %(ratio)s times less."
)


def disagreement(params: CostParameters, *, translated: bool = False) -> Disagreement:
    """`translated`: the statement in the page's language (else English, as the API gives it)."""
    t = gettext if translated else str
    volume = TBPS_MINUTE_BYTES / BYTES_PER_MB * params.price_per_mb_usd
    rate = params.price_per_tbps_minute_usd
    ratio = volume / rate if rate else Decimal(0)
    tb = TBPS_MINUTE_BYTES / Decimal(10**12)
    statement = t(DISAGREEMENT_STATEMENT) % {
        "tb": f"{tb.normalize():f}",
        "price_per_mb": f"{params.price_per_mb_usd.normalize():f}",
        "volume": _words(volume, t),
        "rate": f"{rate.normalize():,f}",
        "ratio": f"{ratio.quantize(Decimal(1)):,f}",
    }
    return Disagreement(
        bytes=TBPS_MINUTE_BYTES,
        terabytes=tb,
        volume_usd=volume,
        rate_usd=rate,
        ratio=ratio,
        statement=statement,
    )


def _words(amount: Decimal, t: Callable[[str], str] = str) -> str:
    """7500000 -> '7.5 million'; smaller amounts with thousands separators."""
    if amount >= 10**6:
        return t(gettext_noop("%(n)s million")) % {
            "n": f"{(amount / Decimal(10**6)).normalize():f}"
        }
    return f"{amount.quantize(Decimal('0.01')):,f}"
