"""Regulator staff must pass the second factor before their session reaches the back-office:
any /staff/ page (in any language) sends such a session to the second-factor page first."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation

from cvas.accounts.principal import Principal


def _unprefixed(path: str) -> str:
    language = translation.get_language_from_path(path)
    return path[len(language) + 1 :] if language else path


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _unprefixed(request.path_info).startswith("/staff/"):
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and Principal.from_request(request).second_factor_pending
            ):
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('accounts:two_factor')}?{query}")
        return self.get_response(request)
