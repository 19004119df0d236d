"""Template context for every page: the menus of the areas the visitor may use, and the languages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from cvas.accounts.principal import Principal
from cvas.public.navigation import navigation_links


def _menu(area: str, principal: Principal, current: str) -> list[dict[str, Any]]:
    items = []
    for link in navigation_links(area):
        if not link.visible_to(principal):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue  # an app whose URLs are not mounted yet
        home = url.rstrip("/").count("/") <= 1
        active = current == url if home else current.startswith(url)
        items.append({"url": url, "label": link.label, "active": active})
    return items


def site(request: HttpRequest) -> dict[str, Any]:
    principal = Principal.from_request(request)
    current = request.path
    return {
        "nav_public": _menu("public", principal, current),
        "nav_portal": _menu("portal", principal, current)
        if principal.user is not None and (principal.memberships or not principal.is_staff_reader)
        else [],
        "nav_staff": _menu("staff", principal, current),
        "site_languages": settings.LANGUAGES,
    }
