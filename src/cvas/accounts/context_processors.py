"""Template context: the signed-in user's roles, for menus."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cvas.accounts.principal import Principal


def roles(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"principal": Principal.anonymous()}
    return {"principal": Principal.from_request(request)}
