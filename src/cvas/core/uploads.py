"""Limits on what a request may upload, checked before the body is read.

Django keeps form fields within DATA_UPLOAD_MAX_MEMORY_SIZE but streams files of any size to
disk before a view can refuse them. This middleware refuses, with 413, a request that announces
a body larger than its path accepts: bulk imports (settings.CVAS_LARGE_UPLOAD_PATHS) up to
CVAS_IMPORT_MAX_BYTES, everything else up to the document limit (CVAS_DOCUMENT_MAX_BYTES) plus
room for the form around it. A body sent without a length is not read at all by Django.
The content of what is accepted is checked by type: PDFs by `cvas.licensing.documents.check_pdf`,
CSV files by `check_text` below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from cvas.core.errors import InvalidInput

FORM_OVERHEAD = 1024 * 1024


def request_limit(path: str) -> int:
    large = getattr(settings, "CVAS_LARGE_UPLOAD_PATHS", ())
    if any(path.startswith(p) for p in large):
        return int(settings.CVAS_IMPORT_MAX_BYTES) + FORM_OVERHEAD
    return int(settings.DOCUMENT_MAX_BYTES) + FORM_OVERHEAD


class RequestSizeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_limit(request.path_info)
        if length > limit:
            message = f"The request is {length:,} bytes; at most {limit:,} are accepted here."
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "too_large", "message": message, "details": []}},
                    status=413,
                )
            # Refused before LocaleMiddleware has run: the page is in the language of its address.
            language = translation.get_language_from_path(request.path_info)
            with translation.override(language or settings.LANGUAGE_CODE):
                body = render_to_string("413.html", {"limit": limit})
            return HttpResponse(body, status=413)
        return self.get_response(request)


def check_size(*, size: int, limit: int, field: str = "file") -> None:
    """Refuse an empty upload, or one over `limit` bytes, naming the field."""
    if size <= 0:
        raise InvalidInput(
            _("%(field)s: the file is empty") % {"field": field},
            details=[{"field": field, "reason": "empty file"}],
        )
    if size > limit:
        raise InvalidInput(
            # Translators: %(size)s and %(limit)s are numbers of bytes, already formatted.
            _("%(field)s: the file is %(size)s bytes; the limit is %(limit)s")
            % {"field": field, "size": f"{size:,}", "limit": f"{limit:,}"},
            details=[{"field": field, "reason": f"larger than {limit} bytes"}],
        )


def check_text(stream: IO[bytes], *, size: int, limit: int, field: str = "file") -> None:
    """Refuse what is not a text file (CSV) within the limit: empty, too large, or binary
    (a NUL byte, or not UTF-8, in its first 64 KiB)."""
    check_size(size=size, limit=limit, field=field)
    stream.seek(0)
    head = stream.read(64 * 1024)
    stream.seek(0)
    binary = b"\x00" in head
    if not binary:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            binary = exc.start < len(head) - 3
    if binary:
        raise InvalidInput(
            _("%(field)s: not a CSV text file (its content is binary or not UTF-8)")
            % {"field": field},
            details=[{"field": field, "reason": "not a UTF-8 CSV file"}],
        )
