"""Normalising what applicants and the public type: brand names and web addresses."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from cvas.core.errors import InvalidInput

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def brand_key(name: str) -> str:
    """Brand names compare without case, spacing or punctuation: "Crest VPN" == "crest-vpn"."""
    return re.sub(r"[\W_]+", "", name.casefold())


def domain_normalise(text: str, *, field: str = "website") -> str:
    """'https://www.CrestVPN.pk/download' -> 'crestvpn.pk'."""
    raw = text.strip()
    if not raw:
        raise InvalidInput(
            _("%(field)s: empty") % {"field": field},
            details=[{"field": field, "reason": "required"}],
        )
    candidate = raw if "://" in raw else f"http://{raw}"
    try:
        host = urlsplit(candidate).hostname or ""
    except ValueError:
        host = ""
    host = host.rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise InvalidInput(
            # Translators: %(field)s is a field's name (kept in English); %(raw)r is what was typed,
            # in quotes; crestvpn.pk is an example web address.
            _("%(field)s: %(raw)r is not a web address (expected something like crestvpn.pk)")
            % {"field": field, "raw": raw},
            details=[{"field": field, "reason": "not a domain name", "value": raw}],
        )
    return host


def domain_candidates(host: str) -> list[str]:
    """The domain and its parents, most specific first: a.b.crestvpn.pk -> [a.b.crestvpn.pk, b.crestvpn.pk, crestvpn.pk]."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]
