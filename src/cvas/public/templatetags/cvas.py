"""Template helpers: translated choice labels, the language's own field of a bilingual record."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import get_language_bidi, gettext

from cvas.accounts.choices import MembershipRole, OrganisationKind, StaffRole
from cvas.licensing.choices import (
    ApplicationState,
    Declaration,
    DocumentKind,
    LicenceAction,
    LicenceStatus,
    ReturnPeriod,
    SubscriberCategory,
)
from cvas.public.labels import label

register = template.Library()

_KINDS: dict[str, type[models.TextChoices]] = {
    "status": LicenceStatus,
    "state": ApplicationState,
    "action": LicenceAction,
    "document": DocumentKind,
    "declaration": Declaration,
    "period": ReturnPeriod,
    "category": SubscriberCategory,
    "membership": MembershipRole,
    "orgkind": OrganisationKind,
    "staffrole": StaffRole,
}


@register.filter
def choice(value: Any, kind: str) -> str:
    """{{ licence.status|choice:"status" }}: the translated label of a stored choice."""
    return label(_KINDS[kind], str(value or ""))


@register.filter
def localised(obj: Any, field: str) -> str:
    """{{ regime|localised:"name" }}: name_ur on Urdu pages when filled in, else name_en."""
    lang = (translation.get_language() or "en").split("-")[0]
    value = getattr(obj, f"{field}_{lang}", "") or ""
    return str(value or getattr(obj, f"{field}_en", "") or "")


@register.simple_tag
def localised_lang(obj: Any, field: str) -> str:
    """The language the `localised` value is really in (for a lang attribute on fallbacks)."""
    lang = (translation.get_language() or "en").split("-")[0]
    return lang if getattr(obj, f"{field}_{lang}", "") else "en"


@register.filter
def licence_number(licence: Any) -> str:
    """{{ licence|licence_number }}: its official number, or "not published" in the page's language
    (`Licence.display_number` says it in English, for the API and the e-mails)."""
    return str(getattr(licence, "number", "") or gettext("not published"))


@register.filter
def isolate(value: Any) -> Any:
    """On a right-to-left page, text set apart from the sentence around it (`<bdi>`): an address,
    a prefix or a Latin name inside an Urdu sentence keeps its own order. Unchanged otherwise."""
    if not get_language_bidi():
        return value
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters changed (for pagers and sort links)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def widget_kind(bound_field: Any) -> str:
    """'check' for one checkbox, 'multi' for radio buttons or several checkboxes, else 'input'."""
    from django import forms

    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "multi"
    if isinstance(widget, forms.CheckboxInput):
        return "check"
    return "input"
