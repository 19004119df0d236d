"""Lockout after repeated failed sign-ins, counted in the shared cache (every worker sees it).

Two locks, each lifting by itself after settings.CVAS_LOCKOUT_MINUTES (default 15):
- one account from one address: CVAS_LOCKOUT_ATTEMPTS (default 5) wrong passwords or second-factor
  codes for that account from that address within the period;
- one address for every account: CVAS_LOCKOUT_ADDRESS_ATTEMPTS (default 30) failures from it,
  whichever accounts they named (one address trying many accounts).
There is deliberately no lock on an account from every address: an attacker elsewhere could then
keep a real user out for as long as they kept failing. Guessing from many addresses is slowed by
the per-address locks and Argon2, and staff accounts also need the second factor.

Counters hold a hash of the e-mail address, not the address itself. A successful sign-in clears
the account's counter for that address.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

from cvas.core.clientip import client_key

logger = logging.getLogger("cvas.accounts.lockout")


def _cache():  # type: ignore[no-untyped-def]
    return caches[getattr(settings, "CVAS_RATE_LIMIT_CACHE", "default")]


def _account(username: str) -> str:
    return hashlib.sha256(b"cvas-lockout:" + username.strip().lower().encode()).hexdigest()[:24]


def _period() -> int:
    return max(1, settings.CVAS_LOCKOUT_MINUTES) * 60


def _keys(username: str, request: HttpRequest) -> tuple[str, str]:
    address = client_key(request)
    return f"cvas:lock:pair:{_account(username)}:{address}", f"cvas:lock:addr:{address}"


def locked_for(username: str, request: HttpRequest) -> int:
    """Seconds until this account may try again from this address (0: not locked)."""
    now = time.time()
    values = _cache().get_many([f"{key}:until" for key in _keys(username, request)])
    until = max((float(v) for v in values.values()), default=0.0)
    return max(0, int(until - now + 0.999))


def _bump(key: str, limit: int) -> bool:
    cache = _cache()
    period = _period()
    if cache.add(key, 1, period):
        count = 1
    else:
        try:
            count = int(cache.incr(key))
        except ValueError:
            cache.set(key, 1, period)
            count = 1
    if count >= limit:
        cache.set(f"{key}:until", time.time() + period, period)
        cache.delete(key)
        return True
    return False


def record_failure(username: str, request: HttpRequest, *, what: str = "password") -> None:
    pair, address = _keys(username, request)
    if _bump(pair, settings.CVAS_LOCKOUT_ATTEMPTS):
        logger.warning(
            "sign-in locked for %s minutes: account %s from %s after repeated wrong %ss",
            settings.CVAS_LOCKOUT_MINUTES,
            _account(username),
            client_key(request),
            what,
        )
    if _bump(address, settings.CVAS_LOCKOUT_ADDRESS_ATTEMPTS):
        logger.warning(
            "sign-in locked for %s minutes: address %s after failures on several accounts",
            settings.CVAS_LOCKOUT_MINUTES,
            client_key(request),
        )


def record_success(username: str, request: HttpRequest) -> None:
    pair, _ = _keys(username, request)
    _cache().delete(pair)
