"""Accessible SVG bar charts drawn on the server: each chart has a title, a description and a table
of the same figures beside it, so that no one depends on seeing the picture."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Colours distinguishable in grey and by the common colour-vision deficiencies (Okabe–Ito),
# each with at least 3:1 contrast against white.
PALETTE = ["#0b6b3a", "#b35c00", "#8a1c1c", "#555555", "#0a5ca8", "#7a3c8f", "#00707a"]


@dataclass
class Series:
    name: str
    values: list[int]
    colour: str = ""


@dataclass
class Chart:
    """Stacked bars: one bar per category, one segment per series."""

    slug: str
    title: str
    description: str
    categories: list[str]
    series: list[Series]
    category_heading: str = ""
    note: str = ""
    geometry: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, s in enumerate(self.series):
            s.colour = s.colour or PALETTE[i % len(PALETTE)]
        self.geometry = _geometry(self)

    @property
    def totals(self) -> list[int]:
        return [sum(s.values[i] for s in self.series) for i in range(len(self.categories))]

    @property
    def rows(self) -> list[dict[str, Any]]:
        totals = self.totals
        return [
            {
                "category": c,
                "values": [s.values[i] for s in self.series],
                "total": totals[i],
            }
            for i, c in enumerate(self.categories)
        ]


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** int(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _geometry(chart: Chart) -> dict[str, Any]:
    n_categories = max(len(chart.categories), 1)
    rotate = n_categories > 6
    top_value = _nice_max(max(chart.totals, default=0))
    # Room for the longest tick label ("200,000") left of the axis, at about 7 units a character.
    left = 16 + 7 * len(f"{top_value:,}")
    width, height, bottom, top = 640, 300 if rotate else 260, 80 if rotate else 40, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    n = n_categories
    slot = plot_w / n
    bar_w = min(48.0, slot * 0.7)
    bars = []
    for i, category in enumerate(chart.categories):
        x = left + i * slot + (slot - bar_w) / 2
        y: float = top + plot_h
        segments = []
        for s in chart.series:
            h = plot_h * s.values[i] / top_value if top_value else 0
            y -= h
            if s.values[i]:
                segments.append(
                    {
                        "x": round(x, 1),
                        "y": round(y, 1),
                        "w": round(bar_w, 1),
                        "h": round(h, 1),
                        "colour": s.colour,
                        "label": f"{category}, {s.name}: {s.values[i]}",
                    }
                )
        bars.append({"segments": segments, "label_x": round(x + bar_w / 2, 1), "label": category})
    ticks = [
        {"y": round(top + plot_h - plot_h * v / top_value, 1), "value": v}
        for v in (0, top_value // 2, top_value)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - 8,
        "base_y": top + plot_h,
        "label_y": top + plot_h + (12 if rotate else 18),
        "bars": bars,
        "ticks": ticks,
        "rotate": rotate,
    }


# Sections of the statistics page. An app adds one with SECTIONS.append(callable) in its
# AppConfig.ready(); each callable returns a Chart, or None while it has nothing to show.
SECTIONS: list[Callable[[], Chart | None]] = []
