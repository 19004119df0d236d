"""Every error under /api/ answers in the API's JSON shape, even those raised before a route is found."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.common import CommonMiddleware as _DjangoCommonMiddleware

CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "internal_error",
}
MESSAGES = {
    404: "No such API operation.",
    405: "This operation does not take that HTTP method.",
    413: "The request is too large.",
    403: "Forbidden.",
    400: "Bad request.",
    500: "Something went wrong on our side; it has been logged.",
}


class ApiErrorShapeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        body = {
            "error": {
                "code": CODES.get(status, "error"),
                "message": MESSAGES.get(status, "Request failed."),
                "details": [],
            }
        }
        shaped = JsonResponse(body, status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped


class CommonMiddleware(_DjangoCommonMiddleware):
    """Django's CommonMiddleware, except that a 404 under /api/ or /rdap/ is an answer ("not
    registered", "no such entity"), never a page whose address lacks a slash: no second URL
    resolution to look for one (that doubled the cost of every "not registered" lookup)."""

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if request.path_info.startswith(("/api/", "/rdap/")):
            return False
        return bool(super().should_redirect_with_slash(request))
