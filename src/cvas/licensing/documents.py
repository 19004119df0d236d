"""Checking an uploaded document: size, and that a PDF is really a PDF."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from cvas.core.errors import InvalidInput
from cvas.core.uploads import check_size

_SAFE = re.compile(r"[^\w.\- ()]+")
_HEADER = re.compile(rb"^%PDF-[12]\.\d")
# Names of PDF features that run code or carry other files: documents for a licence need none.
# (Only what is visible uncompressed is found; the downloads are also served as attachments.)
_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z])")


def safe_display_name(name: str) -> str:
    """The uploader's file name, only for display: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _SAFE.sub("_", base).strip(" .") or "document.pdf"
    return base[:200]


def check_pdf(stream: IO[bytes], *, size: int, field: str = "file") -> str:
    """Refuse anything that is not a PDF within the size limit; return its SHA-256."""
    limit = settings.DOCUMENT_MAX_BYTES
    check_size(size=size, limit=limit, field=field)
    stream.seek(0)
    head = stream.read(1024)
    if not _HEADER.match(head):
        raise InvalidInput(
            _("%(field)s: not a PDF (its content does not start with %%PDF-1.x)")
            % {"field": field},
            details=[{"field": field, "reason": "not a PDF document"}],
        )
    stream.seek(max(0, size - 2048))
    tail = stream.read()
    if b"%%EOF" not in tail:
        raise InvalidInput(
            _("%(field)s: the PDF is incomplete (no end-of-file marker)") % {"field": field},
            details=[{"field": field, "reason": "truncated PDF"}],
        )
    stream.seek(0)
    digest = hashlib.sha256()
    carry = b""
    for chunk in iter(lambda: stream.read(1 << 16), b""):
        digest.update(chunk)
        found = _ACTIVE.search(carry + chunk)
        if found:
            stream.seek(0)
            name = found.group(0).decode("latin-1")
            raise InvalidInput(
                # Translators: %(name)s is a PDF feature's name, such as /JavaScript.
                _("%(field)s: the PDF contains active content (%(name)s); send a plain document")
                % {"field": field, "name": name},
                details=[{"field": field, "reason": f"PDF with active content ({name})"}],
            )
        carry = chunk[-32:]
    stream.seek(0)
    return digest.hexdigest()
