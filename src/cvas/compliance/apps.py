"""The compliance ledger: periodic returns, deadlines, reminders, violations and the cost model."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _navigation() -> tuple[Any, ...]:
    """Links for the site's menus (see cvas.public.navigation), where the site has them."""
    try:
        from cvas.public.navigation import NavLink
    except ImportError:  # the web interface is not installed
        return ()
    return (
        NavLink("portal", "returns:list", _("Returns"), order=35),
        NavLink("staff", "compliance:dashboard", _("Compliance"), order=30),
        NavLink("staff", "compliance:violations", _("Violations"), order=31),
    )


class ComplianceConfig(AppConfig):
    name = "cvas.compliance"
    label = "compliance"
    verbose_name = "Compliance"
    navigation = _navigation()

    def ready(self) -> None:
        # The public statistics page shows the compliance aggregates as sections of its own.
        try:
            from cvas.public.charts import SECTIONS
        except ImportError:
            return
        from cvas.compliance.charts import public_providers_chart, public_subscribers_chart

        for section in (public_providers_chart, public_subscribers_chart):
            if section not in SECTIONS:
                SECTIONS.append(section)
