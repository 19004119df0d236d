"""Security headers on every response: a Content-Security-Policy (with a per-request nonce for any
inline script or style a page may need), Permissions-Policy, and no caching of personal answers.

The site's own pages load scripts, styles, fonts and images from the site only; nothing inline runs
unless it carries the request's nonce (`{{ request.csp_nonce }}` in a template). Responses that are
not HTML get a policy that allows nothing at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

PAGE_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            html = response.get("Content-Type", "").startswith("text/html")
            template = getattr(settings, "CVAS_CONTENT_SECURITY_POLICY", PAGE_POLICY)
            response["Content-Security-Policy"] = (
                template.format(nonce=nonce) if html else DATA_POLICY
            )
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        personal = "HTTP_AUTHORIZATION" in request.META or (
            settings.SESSION_COOKIE_NAME in request.COOKIES
        )
        if personal and "Cache-Control" not in response:
            # An answer for a signed-in caller is theirs alone: no shared cache may keep it.
            response["Cache-Control"] = "private, no-store"
        return response


class PageMethodsMiddleware:
    """The pages take GET, HEAD and POST (and OPTIONS); any other method is refused with 405
    before a view runs, so that no page mistakes a DELETE or PUT for a GET or a form. The API
    (/api/) answers for its own methods."""

    ALLOWED = frozenset({"GET", "HEAD", "POST", "OPTIONS"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in self.ALLOWED and not request.path_info.startswith("/api/"):
            return HttpResponseNotAllowed(sorted(self.ALLOWED))
        return self.get_response(request)
