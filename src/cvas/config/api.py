"""The HTTP API under /api/v1/: one NinjaAPI, one router per app, errors as one JSON shape."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DataError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from cvas.accounts.api import router as accounts_router
from cvas.compliance.api import public_router as statistics_router
from cvas.compliance.api import router as compliance_router
from cvas.core.errors import DomainError
from cvas.core.openapi_links import add_links
from cvas.jobs.api import router as jobs_router
from cvas.licensing.api import public_router
from cvas.licensing.api import router as licensing_router
from cvas.lookup.api import public_router as lookup_public_router
from cvas.lookup.api import router as lookup_router
from cvas.registry.api import public_router as registry_public_router
from cvas.registry.api import router as registry_router

logger = logging.getLogger("cvas.api")


class RegistryAPI(NinjaAPI):
    """The project's API: its schema also says what a created record leads to (OpenAPI links)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return add_links(super().get_openapi_schema(*args, **kwargs))


api = RegistryAPI(
    title="CVAS Registry API",
    version="1.0.0",
    description=(
        "The register of CVAS-Data class licences (VPN service providers), verification, applications and "
        "licence actions. Public read operations need no key; the rest take `Authorization: Bearer <api key>` "
        'or a signed-in session. Errors are `{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, details: list[Any] | None = None
) -> HttpResponse:
    response = api.create_response(
        request,
        {"error": {"code": code, "message": message, "details": details or []}},
        status=status,
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="cvas"'
    return response


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.details)


def _field(loc: list[Any]) -> str:
    # loc is (source, *path); a body's path starts with its parameter's name. Only those are dropped,
    # so that a field that shares a source's name (the upload's `file`) is still named.
    parts = [str(p) for p in loc[1:]]
    if loc[:1] == ["body"] and parts[:1] == ["payload"]:
        parts = parts[1:]
    return ".".join(parts) or "request"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"field": _field(list(e.get("loc", []))), "reason": e.get("msg", "invalid")}
        for e in exc.errors
    ]
    message = "; ".join(f"{d['field']}: {d['reason']}" for d in details[:5]) or "invalid request"
    return error_response(request, 422, "validation_error", message, details)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "unauthenticated", "Sign in or send 'Authorization: Bearer <api key>'."
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        422: "validation_error",
        429: "rate_limited",
    }
    return error_response(
        request, exc.status_code, codes.get(exc.status_code, "error"), str(exc.message)
    )


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # django-ninja adds Retry-After (the seconds left in the window) to this response.
    wait = f"; try again in {int(exc.wait) + 1} seconds" if exc.wait else ""
    return error_response(request, 429, "rate_limited", f"Too many requests{wait}.")


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def on_403(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "forbidden", str(exc) or "Forbidden.")


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_number_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # An identifier or figure beyond what the database holds (64-bit integers): bad input, not a fault.
    return error_response(
        request, 422, "validation_error", "A number in the request is out of range.", []
    )


@api.exception_handler(OperationalError)
def on_database_unavailable(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    logger.error("database unavailable: %s", exc.__class__.__name__)
    response = error_response(
        request,
        503,
        "service_unavailable",
        "The service is temporarily unavailable; try again shortly.",
    )
    response["Retry-After"] = "5"
    return response


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return error_response(
        request, 500, "internal_error", "Something went wrong on our side; it has been logged."
    )


# The public lookup first: its routes are matched first, on the path that takes thousands of
# requests a second.
api.add_router("/", lookup_public_router)
api.add_router("/", licensing_router)
api.add_router("/", public_router)
api.add_router("/", accounts_router)
api.add_router("/", jobs_router)
api.add_router("/", registry_router)
api.add_router("/", registry_public_router)
api.add_router("/", compliance_router)
api.add_router("/", statistics_router)
api.add_router("/", lookup_router)
