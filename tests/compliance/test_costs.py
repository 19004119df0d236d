"""The cost model: both estimates exactly as defined, under the seed parameters and changed ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cvas.compliance import costs, selectors, services
from cvas.compliance.choices import CostParameterKey as K
from cvas.core.errors import Forbidden, InvalidInput
from tests.compliance.conftest import on
from tests.conftest import principal

D = dt.date
TB = 10**12


def params(mb: str = "1", tbps_minute: str = "10000", rate: str = "281") -> costs.CostParameters:
    def p(key: str, value: str) -> costs.Parameter:
        return costs.Parameter(key, key, Decimal(value), "", "", False, None)

    return costs.CostParameters(
        items={
            K.PRICE_PER_MB_USD: p(K.PRICE_PER_MB_USD, mb),
            K.PRICE_PER_TBPS_MINUTE_USD: p(K.PRICE_PER_TBPS_MINUTE_USD, tbps_minute),
            K.USD_TO_PKR: p(K.USD_TO_PKR, rate),
        }
    )


def test_one_tbps_for_a_minute_is_7_5_tb_priced_at_7_5_million_or_10_000_usd() -> None:
    d = costs.disagreement(params())
    assert d.bytes == Decimal("7.5e12") and d.terabytes == Decimal("7.5")
    assert d.volume_usd == Decimal(7_500_000)
    assert d.rate_usd == Decimal(10_000)
    assert d.ratio == 750
    assert d.statement == (
        "The two seed figures imply very different prices: 1 Tbps for a minute is 7.5 TB, which the "
        "first (the volume model, 1 USD per MB) prices at 7.5 million USD, while the second (the rate "
        "model) prices it at 10,000 USD: 750 times less."
    )


def test_a_quarters_international_traffic_under_both_models() -> None:
    # Q1 2026 has 90 days = 7,776,000 s = 129,600 minutes; 97,200 TB is an average of 0.1 Tbps.
    e = costs.estimate(97_200 * TB, D(2026, 1, 1), D(2026, 3, 31), params())
    assert e.seconds == 7_776_000
    assert e.average_tbps == Decimal("0.1")
    assert e.volume_usd == Decimal(97_200_000_000)  # 97.2 billion MB at 1 USD
    assert e.rate_usd == Decimal(129_600_000)  # 0.1 Tbps x 129,600 min x 10,000 USD
    assert e.volume_pkr == Decimal(97_200_000_000 * 281)
    assert e.rate_pkr == Decimal(129_600_000 * 281)


def test_other_parameters_change_each_model_alone() -> None:
    e = costs.estimate(7_500 * 10**9, D(2026, 1, 1), D(2026, 3, 31), params("0.5", "20000", "300"))
    assert e.volume_usd == Decimal(3_750_000)
    assert e.rate_usd == Decimal(7_500 * 10**9 * 8) / Decimal(10**12) / 60 * 20000
    assert e.rate_pkr == e.rate_usd * 300


def test_a_month_is_its_own_length_in_pakistan_time() -> None:
    assert costs.period_seconds(D(2026, 2, 1), D(2026, 2, 28)) == 28 * 86400


@pytest.mark.django_db
def test_parameters_are_data_with_sources_and_the_rate_is_an_assumption() -> None:
    p = selectors.cost_parameters()
    assert (p.price_per_mb_usd, p.price_per_tbps_minute_usd) == (1, 10000)
    mb = p.items[K.PRICE_PER_MB_USD]
    assert "$1 per MB" in mb.source and not mb.is_assumption
    rate = p.items[K.USD_TO_PKR]
    assert rate.is_assumption and rate.as_of == D(2025, 11, 13)


@pytest.mark.django_db
def test_changing_a_parameter_changes_every_estimate_and_is_audited(world: Any) -> None:
    from cvas.audit.models import AuditEvent

    with on(D(2026, 11, 23)):
        services.cost_parameter_set(
            principal=principal(world["compliance"]),
            key=K.USD_TO_PKR,
            value="280.50",
            source="State Bank of Pakistan, interbank closing rate",
            as_of=D(2026, 11, 20),
            is_assumption=False,
        )
    p = selectors.cost_parameters()
    assert p.usd_to_pkr == Decimal("280.5")
    assert not p.items[K.USD_TO_PKR].is_assumption
    e = costs.estimate(10**6, D(2026, 1, 1), D(2026, 3, 31), p)
    assert e.volume_pkr == Decimal("280.5")
    event = AuditEvent.objects.get(action="cost_parameter.set")
    assert event.before["value"] == "281.000000" and event.after["value"] == "280.500000"


@pytest.mark.django_db
def test_only_administrators_and_compliance_officers_set_parameters(world: Any) -> None:
    for who in ("auditor", "officer", "member_a"):
        with pytest.raises(Forbidden):
            services.cost_parameter_set(
                principal=principal(world[who]), key=K.PRICE_PER_MB_USD, value="2", source="x"
            )
    with pytest.raises(InvalidInput, match="value"):
        services.cost_parameter_set(
            principal=principal(world["admin"]), key=K.PRICE_PER_MB_USD, value="-1", source="x"
        )
    assert selectors.cost_parameters().price_per_mb_usd == 1
