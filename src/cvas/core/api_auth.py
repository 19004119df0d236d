"""API authentication: `Authorization: Bearer <api key>` or a signed-in session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from cvas.accounts.principal import Principal
from cvas.accounts.services import api_key_authenticate


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        principal = Principal.for_api_key(api_key_authenticate(token))
        request._cvas_principal = principal  # type: ignore[attr-defined]
        return principal

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header and not header.lower().startswith("bearer "):
            from cvas.core.errors import Unauthenticated

            raise Unauthenticated(
                "Send the API key as 'Authorization: Bearer <key>'.", code="invalid_api_key"
            )
        return super().__call__(request)


class SessionPrincipalAuth(APIKeyCookie):
    """The browser's session; CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        if request.headers.get("Authorization"):
            return None
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            return Principal.from_request(request)
        return None


API_AUTH = [ApiKeyAuth(), SessionPrincipalAuth()]


def principal_of(request: HttpRequest) -> Principal:
    auth = getattr(request, "auth", None)
    if isinstance(auth, Principal):
        return auth
    return Principal.anonymous()


def optional_principal(request: HttpRequest) -> Principal:
    """For public operations that show more to a signed-in caller: never refuses, only identifies."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return Principal.for_api_key(api_key_authenticate(header[7:]))
    return Principal.from_request(request)
