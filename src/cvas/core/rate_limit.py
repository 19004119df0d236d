"""Rate limits by name ("verify", "lookup", "register", "rdap", "sign-in"), shared by every worker.

Each name has a rate for anonymous clients, counted per client address (an IPv6 client per /64;
see cvas.core.clientip for when a proxy's header is believed), and optionally one for identified
callers (an API key or a signed-in account), counted per key or account. The rates live in
settings.CVAS_RATE_LIMITS (README, "Rate limits"); counters live in the cache named by
settings.CVAS_RATE_LIMIT_CACHE: Django's database cache by default, Redis where CACHE_URL or
REDIS_URL is set, so that every worker process counts against the same numbers.

Windows are fixed (the current minute, for "60/m"); a refused request gets 429 with Retry-After,
the seconds left in the window. Use:

    from cvas.core.rate_limit import RateLimit, rate_limited

    @router.get("/lookup/ip/{address}", throttle=RateLimit("lookup"))   # a django-ninja operation
    @rate_limited("verify")                                             # a Django view
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from ninja.throttling import BaseThrottle

from cvas.core.clientip import client_key
from cvas.core.rates import Rate, parse_rate

logger = logging.getLogger("cvas.rate_limit")
V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def rates(name: str) -> tuple[Rate | None, Rate | None]:
    """(anonymous, identified) rates of a named limit; None means unlimited."""
    table: dict[str, dict[str, str | None]] = getattr(settings, "CVAS_RATE_LIMITS", {})
    if name not in table:
        raise KeyError(f"no rate limit named {name!r} in settings.CVAS_RATE_LIMITS")
    entry = table[name]
    return (
        parse_rate(entry.get("anonymous"), name=f"CVAS_RATE_LIMITS[{name!r}]"),
        parse_rate(entry.get("authenticated"), name=f"CVAS_RATE_LIMITS[{name!r}]"),
    )


def _identified(request: HttpRequest) -> str | None:
    """'key:<id>' or 'user:<id>' for a caller who proved who they are; None for the anonymous."""
    from cvas.accounts.principal import Principal

    auth = getattr(request, "auth", None)
    if isinstance(auth, Principal) and auth.user is not None:
        return f"key:{auth.api_key.pk}" if auth.api_key is not None else f"user:{auth.user.pk}"
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        from cvas.accounts.services import api_key_authenticate
        from cvas.core.errors import DomainError

        try:
            return f"key:{api_key_authenticate(header[7:]).pk}"
        except DomainError:
            return None  # counted as anonymous; the operation itself refuses the bad key
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _count(key: str, ttl: int) -> int:
    cache = caches[getattr(settings, "CVAS_RATE_LIMIT_CACHE", "default")]
    if cache.add(key, 1, ttl):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, ttl)
        return 1


def hit(name: str, request: HttpRequest) -> float | None:
    """Count this request against the limit `name`: None if allowed, else seconds to wait."""
    anonymous, identified = rates(name)
    if anonymous is None and identified is None:
        return None  # the limit is off: nothing to count, nobody to identify
    who = _identified(request)
    if who is not None:
        rate = identified
    else:
        rate = anonymous
        if rate is not None:
            who = f"addr:{client_key(request)}"
    if rate is None or who is None:
        return None
    now = time.time()
    window = int(now // rate.seconds)
    key = f"cvas:rl:{name}:{who}:{rate.seconds}:{window}"
    try:
        used = _count(key, rate.seconds + 1)
    except Exception:
        # The counter store is unreachable: serve rather than refuse everyone, and say so.
        logger.warning("rate limit %s: counter store unavailable; request allowed", name)
        return None
    if used <= rate.count:
        return None
    return max(1.0, (window + 1) * rate.seconds - now)


def retry_after(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


def too_many_requests(request: HttpRequest, wait: float) -> HttpResponse:
    """429 for a page (HTML), anything under /api/ (the API's JSON error shape) or /rdap/ (RDAP's)."""
    seconds = retry_after(wait)
    message = f"Too many requests; try again in {seconds} seconds."
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": {"code": "rate_limited", "message": message, "details": []}}, status=429
        )
    elif request.path.startswith("/rdap/"):  # RFC 9083's error object
        response = JsonResponse(
            {
                "rdapConformance": ["rdap_level_0"],
                "errorCode": 429,
                "title": "Too many requests",
                "description": [message],
            },
            status=429,
            content_type="application/rdap+json",
        )
    else:
        response = HttpResponse(
            render_to_string("429.html", {"seconds": seconds}, request=request), status=429
        )
    response["Retry-After"] = seconds
    return response


class RateLimit(BaseThrottle):
    """A django-ninja throttle for the named limit: `throttle=RateLimit("lookup")`."""

    def __init__(self, name: str) -> None:
        rates(name)  # fail at import when the name is not configured
        self.name = name
        self._state = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        wait = hit(self.name, request)
        self._state.wait = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._state, "wait", None)


def rate_limited(name: str, *, methods: Iterable[str] | None = None) -> Callable[[V], V]:
    """Limit a Django view (only `methods`, if given: e.g. ("POST",) for a sign-in form)."""
    rates(name)
    only = {m.upper() for m in methods} if methods else None

    def decorate(view: V) -> V:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if only is None or request.method in only:
                wait = hit(name, request)
                if wait is not None:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
