"""What a user sees when the server fails: a generic page (or the API's JSON error), never a trace.

A database that is down, locked or unreachable answers 503 with Retry-After; anything else 500.
The pages are rendered without the request's context processors, which would need the very
database that may be gone; the details go to the server's log only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger("cvas.errors")
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable; try again shortly."
FAILED_MESSAGE = "Something went wrong on our side; it has been logged."
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def _page(template: str, status: int) -> HttpResponse:
    body: str
    try:
        body = render_to_string(template)
    except Exception:  # the template machinery itself failed: plain words still reach the user
        body = f"<!doctype html><title>Error {status}</title><h1>Error {status}</h1>"
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def server_error(request: HttpRequest) -> HttpResponse:
    """settings' handler500: called inside Django's exception handling, so exc_info is the cause."""
    return error_response(request, unavailable=database_unavailable(sys.exc_info()[1]))


def error_response(request: HttpRequest, *, unavailable: bool) -> HttpResponse:
    status = 503 if unavailable else 500
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "error": {
                    "code": "service_unavailable" if unavailable else "internal_error",
                    "message": UNAVAILABLE_MESSAGE if unavailable else FAILED_MESSAGE,
                    "details": [],
                }
            },
            status=status,
        )
    else:
        response = _page("503.html" if unavailable else "500.html", status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a view's database failure into the 503 page before Django's 500 handling logs a trace
    for it; the failure is logged in one line instead (the database's state, not a bug)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not database_unavailable(exc):
            return None
        logger.error(
            "database unavailable during %s %s: %s",
            request.method,
            request.path,
            exc.__class__.__name__,
        )
        return error_response(request, unavailable=True)
