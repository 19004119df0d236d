"""Template helpers of the compliance pages: the translated label of a stored kind."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from cvas.compliance.choices import IncidentKind, ViolationState

register = template.Library()


@register.filter
def incident_kind(value: Any) -> str:
    """{{ incident.kind|incident_kind }}: "Data breach" (translated) for "data_breach"."""
    try:
        return gettext(str(IncidentKind(str(value)).label))
    except ValueError:
        return str(value or "")


@register.filter
def violation_state(value: Any) -> str:
    """{{ event.to_state|violation_state }}: the translated description of a violation's state."""
    try:
        return gettext(str(ViolationState(str(value)).label))
    except ValueError:
        return str(value or "")
