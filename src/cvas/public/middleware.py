"""The visitor's language: the browser's preference on a first visit, the switcher's choice after.

English pages have no prefix, Urdu pages live under /ur/. A GET of an unprefixed page from a
visitor whose language cookie (set by the switcher) or, failing that, browser preference is Urdu is
redirected to the Urdu page. Pages outside the language prefixes (the certificate's /v/<token>/)
are rendered in that language directly, since their address must never change.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import get_script_prefix, is_valid_path
from django.utils import translation
from django.utils.cache import patch_vary_headers

NEVER_TRANSLATED = ("/api/", "/static/", "/i18n/", "/healthz")


def is_translated_page(path: str, urlconf: str | None = None) -> bool:
    """Whether `path` (without a language prefix) is one of the pages that exist in every language."""
    other = next(code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE)
    with translation.override(other):
        return bool(is_valid_path(f"/{other}{path}", urlconf))


class PreferredLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if translation.get_language_from_path(path) or path.startswith(NEVER_TRANSLATED):
            return self.get_response(request)
        preferred = translation.get_language_from_request(request, check_path=False)
        urlconf = getattr(request, "urlconf", None)
        if is_translated_page(path, urlconf):
            if preferred != settings.LANGUAGE_CODE and request.method in ("GET", "HEAD"):
                query = request.META.get("QUERY_STRING", "")
                target = f"{get_script_prefix()}{preferred}{path}"
                response: HttpResponse = HttpResponseRedirect(
                    target + (f"?{query}" if query else "")
                )
                patch_vary_headers(response, ("Accept-Language", "Cookie"))
                return response
        else:
            # Not a language-prefixed page (e.g. /v/<token>/): show it in the visitor's language.
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
