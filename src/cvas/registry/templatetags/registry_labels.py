"""Template helpers of the registry pages: the translated label of a stored state or kind (the
portal's pages show the API's output, which carries the stored values)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models
from django.utils.translation import gettext

from cvas.registry.choices import EndpointStatus, IspVerdict, PortalDocumentKind, PortalState

register = template.Library()

_KINDS: dict[str, type[models.TextChoices]] = {
    "portal_state": PortalState,
    "verdict": IspVerdict,
    "endpoint_status": EndpointStatus,
    "document": PortalDocumentKind,
}


@register.filter
def registry_label(value: Any, kind: str) -> str:
    """{{ req.state|registry_label:"portal_state" }}: "Draft" (translated) for "draft"."""
    try:
        return gettext(str(_KINDS[kind](str(value)).label))
    except ValueError:
        return str(value or "")
