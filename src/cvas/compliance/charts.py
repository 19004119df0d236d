"""Charts of the compliance pages, drawn with the site's accessible SVG charts (`cvas.public.charts`:
each with a title, a description and a table of the same figures beside it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from cvas.compliance import selectors
from cvas.core.timeutil import pk_today
from cvas.licensing.choices import SubscriberCategory
from cvas.public.charts import Chart, Series

GB = Decimal(10**9)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40]


def licensee_charts(name: str, series: list[selectors.SeriesPoint]) -> list[Chart]:
    """One licensee over time: subscribers, traffic, international share, and both cost estimates."""
    if not series:
        return []
    labels = [p.label for p in series]
    slug = _slug(name)
    used = [c for c in SubscriberCategory.values if any(p.subscribers.get(c) for p in series)]
    return [
        Chart(
            slug=f"{slug}-subscribers",
            title=_("%(name)s: subscribers at each period's end") % {"name": name},
            description=_(
                "Stacked bars, one per return period, one segment per subscriber category."
            ),
            categories=labels,
            category_heading=_("Period"),
            series=[
                Series(
                    name=_(SubscriberCategory(c).label),
                    values=[p.subscribers.get(c, 0) for p in series],
                )
                for c in used
            ]
            or [Series(name=_("Subscribers"), values=[0] * len(series))],
        ),
        Chart(
            slug=f"{slug}-traffic",
            title=_("%(name)s: traffic carried per period (GB)") % {"name": name},
            description=_(
                "Stacked bars, one per return period: domestic and international gigabytes "
                "(10^9 bytes)."
            ),
            categories=labels,
            category_heading=_("Period"),
            series=[
                Series(
                    name=_("Domestic (GB)"), values=[int(p.domestic_bytes / GB) for p in series]
                ),
                Series(
                    name=_("International (GB)"),
                    values=[int(p.international_bytes / GB) for p in series],
                ),
            ],
        ),
        Chart(
            slug=f"{slug}-share",
            title=_("%(name)s: international share of traffic (%%)") % {"name": name},
            description=_(
                "One bar per return period: international bytes as a percentage of all bytes "
                "carried."
            ),
            categories=labels,
            category_heading=_("Period"),
            series=[
                Series(
                    name=_("International share (%)"),
                    values=[
                        int((p.international_share or 0) * 100 + Decimal("0.5")) for p in series
                    ],
                )
            ],
        ),
        Chart(
            slug=f"{slug}-cost-volume",
            title=_("%(name)s: foreign-exchange cost, volume model (USD)") % {"name": name},
            description=_("One bar per return period: international bytes at the price per MB."),
            categories=labels,
            category_heading=_("Period"),
            series=[
                Series(
                    name=_("USD (volume model)"),
                    values=[int(p.estimate.volume_usd) for p in series],
                )
            ],
        ),
        Chart(
            slug=f"{slug}-cost-rate",
            title=_("%(name)s: foreign-exchange cost, rate model (USD)") % {"name": name},
            description=_(
                "One bar per return period: the period's average international Tbps times its "
                "minutes times the price per Tbps-minute."
            ),
            categories=labels,
            category_heading=_("Period"),
            series=[
                Series(
                    name=_("USD (rate model)"), values=[int(p.estimate.rate_usd) for p in series]
                )
            ],
        ),
    ]


def public_providers_chart() -> Chart | None:
    """For the public statistics page: licensed providers at each quarter's end."""
    stats = selectors.public_statistics(today=pk_today())
    points = stats["licensed_providers"]
    if not points:
        return None
    return Chart(
        slug="licensed-providers",
        title=_("Licensed VPN providers, quarter by quarter"),
        description=_(
            "Stacked bars, one per quarter's end (the last is today): providers holding an active "
            "licence on that day; demo data shown apart."
        ),
        categories=[f"{p['date']:%Y-%m-%d}" for p in points],
        category_heading=_("Date"),
        series=[
            Series(
                name=_("Providers"),
                values=[p["licensed_providers"] - p["of_which_demo"] for p in points],
            ),
            Series(name=_("Demo providers"), values=[p["of_which_demo"] for p in points]),
        ],
    )


def public_subscribers_chart() -> Chart | None:
    """For the public statistics page: subscribers by category, only for periods with enough
    contributors that no licensee's own figures can be read off."""
    stats = selectors.public_statistics(today=pk_today())
    shown: list[dict[str, Any]] = [
        p for p in stats["subscribers_by_category"] if not p["suppressed"]
    ]
    if not shown:
        return None
    used = [c for c in SubscriberCategory.values if any(p["categories"].get(c) for p in shown)]
    withheld = len(stats["subscribers_by_category"]) - len(shown)
    note = _(
        "Totals of the returns filed, shown only where at least %(n)s licensees filed for the "
        "period."
    ) % {"n": stats["minimum_contributors"]}
    if withheld:
        note += " " + ngettext(
            "%(n)s period withheld for that reason.",
            "%(n)s periods withheld for that reason.",
            withheld,
        ) % {"n": withheld}
    if any(p["includes_demo"] for p in shown):
        note += " " + _("Includes demo data.")
    return Chart(
        slug="subscribers-by-category",
        title=_("Subscribers by category, period by period"),
        description=_("Stacked bars, one per return period, one segment per subscriber category."),
        categories=[p["period"] for p in shown],
        category_heading=_("Period"),
        series=[
            Series(
                name=_(SubscriberCategory(c).label),
                values=[p["categories"].get(c, 0) for p in shown],
            )
            for c in used
        ],
        note=note,
    )


def dashboard_charts(d: dict[str, Any]) -> list[Chart]:
    """The staff dashboard: returns outstanding by state, and each licensee's latest period."""
    charts = [
        Chart(
            slug="outstanding-returns",
            title=_("Returns outstanding today, by state"),
            description=_(
                "One bar per state: returns due (within the deadline), late, and missing."
            ),
            categories=[
                pgettext("return state", "Due"),
                pgettext("return state", "Late"),
                pgettext("return state", "Missing"),
            ],
            category_heading=_("State"),
            series=[
                Series(
                    name=_("Returns"),
                    values=[len(d["due"]), len(d["late"]), len(d["missing"])],
                )
            ],
        )
    ]
    latest = [s for s in d["licensees"] if s.latest is not None]
    if latest:
        charts.append(
            Chart(
                slug="latest-international",
                title=_("International traffic in each licensee's latest return (GB)"),
                description=_(
                    "One bar per licensee with a filed return: the international gigabytes of its "
                    "latest period (the period is in the licensee table)."
                ),
                categories=[s.name for s in latest],
                category_heading=_("Licensee"),
                series=[
                    Series(
                        name=_("International (GB)"),
                        values=[int(s.latest.international_bytes / GB) for s in latest],
                    )
                ],
            )
        )
    return charts
