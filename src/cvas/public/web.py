"""Shared helpers of the page views (public, portal, back-office): domain errors become pages, and
a service's field errors are shown next to the form field that caused them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from cvas.accounts.principal import Principal
from cvas.core.errors import DomainError, Forbidden, NotFound, Unauthenticated

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def page(view: V) -> V:
    """Turn the guards' errors into pages: sign-in for the anonymous, 404 for what is not theirs,
    403 for a missing role."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Unauthenticated:
            return redirect_to_login(request.get_full_path())
        except NotFound:
            raise Http404 from None
        except Forbidden as exc:
            return render(request, "403.html", {"message": exc.message}, status=403)

    return wrapper  # type: ignore[return-value]


def set_choices(field: forms.Field, choices: Any) -> None:
    """Give a choice field its (translated) choices at form creation."""
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def principal_of(request: HttpRequest) -> Principal:
    return Principal.from_request(request)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


_FIELD_PREFIX = re.compile(r"^[\w.\[\]]+:\s*")


def plain_message(exc: DomainError) -> str:
    """The service's message without its leading 'field: ' (the page shows it at the field)."""
    return _FIELD_PREFIX.sub("", exc.message, count=1)


def attach_errors(
    form: forms.BaseForm,
    exc: DomainError,
    field_map: Mapping[str, str] | Callable[[str], tuple[str | None, str]] | None = None,
) -> None:
    """Put a service's error on the form field it names, or on the form when it names none.

    `field_map` maps a detail's field (e.g. 'brands[0].name') to a form field, either as a dict of
    prefixes or as a function returning (form field or None, message prefix).
    """
    details = exc.details or [{"field": "", "reason": ""}]
    placed = False
    for detail in details:
        name = str(detail.get("field", ""))
        target: str | None = None
        prefix = ""
        if callable(field_map):
            target, prefix = field_map(name)
        elif field_map:
            for key, form_field in field_map.items():
                if name == key or name.startswith(f"{key}[") or name.startswith(f"{key}."):
                    target = form_field
                    break
        elif name in form.fields:
            target = name
        if target is not None and target in form.fields:
            message = plain_message(exc) if len(details) == 1 else str(detail.get("reason", ""))
            form.add_error(target, f"{prefix}{message}")
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def form_errors_json(form: forms.BaseForm, status: int = 422) -> JsonResponse:
    errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
    summary = "; ".join(e for v in errors.values() for e in v)
    return JsonResponse(
        {"ok": False, "errors": errors, "message": summary or _("Not saved.")}, status=status
    )
