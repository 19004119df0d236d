"""Rate limits: 429 with Retry-After, per client address (a proxy's header only when trusted),
counted in a store that every worker shares."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
import time_machine
from django.core.cache import cache, caches
from django.test import Client, RequestFactory

from cvas.core import rate_limit
from cvas.core.clientip import client_address, client_key
from tests.conftest import api_key_for, bearer

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 3, 2, 10, 0, 20, tzinfo=dt.UTC)  # 40 seconds left in the minute


@pytest.fixture
def limits(settings: Any) -> Any:
    cache.clear()

    def set_limits(**rates: str | tuple[str, str]) -> None:
        table = dict(settings.CVAS_RATE_LIMITS)
        for name, rate in rates.items():
            anonymous, identified = rate if isinstance(rate, tuple) else (rate, None)
            table[name.replace("_", "-")] = {"anonymous": anonymous, "authenticated": identified}
        settings.CVAS_RATE_LIMITS = table

    return set_limits


def test_the_default_is_sixty_verify_requests_a_minute_for_an_anonymous_client() -> None:
    from cvas.config import settings as project

    assert project.CVAS_RATE_LIMITS["verify"] == {"anonymous": "60/m", "authenticated": None}


def test_the_sixty_first_verify_request_in_a_minute_gets_429_with_retry_after(
    seeded: Any, limits: Any
) -> None:
    limits(verify="60/m")
    client = Client(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(60):
            assert client.get("/api/v1/verify", {"brand": "Crest VPN"}).status_code == 200
        refused = client.get("/api/v1/verify", {"brand": "Crest VPN"})
        assert refused.status_code == 429
        assert refused["Retry-After"] == "40"
        assert refused.json()["error"]["code"] == "rate_limited"
        # another client is not affected
        assert (
            Client(REMOTE_ADDR="203.0.113.6").get("/api/v1/verify", {"brand": "x"}).status_code
            == 200
        )
    with time_machine.travel(MOMENT + dt.timedelta(seconds=41), tick=False):
        assert client.get("/api/v1/verify", {"brand": "Crest VPN"}).status_code == 200


def test_the_pages_answer_429_as_a_page(seeded: Any, limits: Any) -> None:
    limits(verify="2/m", register="1/m")
    client = Client(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(MOMENT, tick=False):
        client.get("/", {"q": "Crest VPN"})
        client.get("/")
        page = client.get("/", {"q": "Crest VPN"})
        assert page.status_code == 429 and page["Retry-After"] == "40"
        assert "Too many requests" in page.content.decode()
        assert client.get("/register/").status_code == 200
        assert client.get("/register.csv").status_code == 429
        assert client.get("/api/v1/register/licences").status_code == 429  # one counter


def test_sign_in_attempts_are_limited_per_address(make_user: Any, limits: Any) -> None:
    limits(sign_in="3/m")
    client = Client(REMOTE_ADDR="198.51.100.9")
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(3):
            client.post("/accounts/login/", {"username": "a@b.test", "password": "x"})
        assert client.get("/accounts/login/").status_code == 200  # reading the form is free
        refused = client.post("/accounts/login/", {"username": "a@b.test", "password": "x"})
        assert refused.status_code == 429 and refused["Retry-After"] == "40"
        assert client.post("/portal/sign-up/", {}).status_code == 429
        assert client.post("/accounts/password-reset/", {"email": "a@b.test"}).status_code == 429


def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(settings: Any) -> None:
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert client_address(spoofed) == "203.0.113.5"

    settings.CVAS_TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]
    proxied = factory.get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5, 10.0.0.9"
    )
    assert client_address(proxied) == "203.0.113.5"  # the right-most address not ours
    garbage = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_address(garbage) == "10.0.0.2"
    v6 = factory.get(
        "/", REMOTE_ADDR="2001:db8:ffff::1", HTTP_X_FORWARDED_FOR="[2400:cb00:1:2::9]:443"
    )
    assert client_address(v6) == "2400:cb00:1:2::9"
    assert client_key(v6) == "2400:cb00:1:2::/64"  # an IPv6 client is counted by its /64


def test_spoofed_headers_do_not_reset_the_count(seeded: Any, limits: Any) -> None:
    limits(register="2/m")
    with time_machine.travel(MOMENT, tick=False):
        for n in range(2):
            Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").get("/register/")
        refused = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="192.0.2.99").get(
            "/register/"
        )
        assert refused.status_code == 429


def test_an_identified_caller_is_counted_by_key_at_its_own_rate(
    world: dict[str, Any], limits: Any
) -> None:
    limits(verify=("1/m", "3/m"))
    _, token = api_key_for(world["operator"], world["isp"], ["lookup"])
    client = Client(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(3):
            assert client.get("/api/v1/verify", {"brand": "x"}, **bearer(token)).status_code == 200
        assert client.get("/api/v1/verify", {"brand": "x"}, **bearer(token)).status_code == 429
        # a made-up key is counted as the anonymous client it is
        assert client.get("/api/v1/verify", {"brand": "x"}).status_code == 200
        fake = "cvas_abcdefghij_" + "A" * 49
        assert client.get("/api/v1/verify", {"brand": "x"}, **bearer(fake)).status_code == 429


def test_the_counters_are_shared_by_separate_cache_connections() -> None:
    """What two worker processes do: each opens its own connection to the shared store."""
    cache.clear()
    one, two = caches.create_connection("default"), caches.create_connection("default")
    key = "cvas:rl:test:shared"
    assert one.add(key, 1, 60)
    assert two.incr(key) == 2 and one.get(key) == 2


def _redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_available(), reason="no Redis at 127.0.0.1:6379")
def test_with_redis_configured_the_limit_is_counted_in_redis(
    seeded: Any, limits: Any, settings: Any
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "cvas-test",
        },
    }
    settings.CVAS_RATE_LIMIT_CACHE = "redis"
    caches["redis"].clear()
    limits(verify="2/m")
    client = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(2):
        assert client.get("/api/v1/verify", {"brand": "x"}).status_code == 200
    assert client.get("/api/v1/verify", {"brand": "x"}).status_code == 429
    other_worker = caches.create_connection("redis")
    assert any(other_worker.get(k) == 3 for k in _keys_in_redis())
    caches["redis"].clear()


def _keys_in_redis() -> list[str]:
    import redis

    conn = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    return [k.decode().split(":", 2)[2] for k in conn.keys("cvas-test:*rl:verify*")]


def test_a_bad_rate_in_the_environment_stops_start_up() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from cvas.core.rates import parse_rate

    assert parse_rate("60/m") is not None and parse_rate("off") is None
    assert parse_rate("5/10m").seconds == 600  # type: ignore[union-attr]
    with pytest.raises(ImproperlyConfigured, match="60/m"):
        parse_rate("sixty a minute", name="CVAS_RATE_LIMIT_VERIFY")
    with pytest.raises(KeyError):
        rate_limit.RateLimit("no-such-limit")


def test_a_view_limited_by_the_decorator_answers_rdap_clients_in_rdap_s_error_shape(
    limits: Any,
) -> None:
    from django.http import HttpResponse

    limits(rdap="1/m")
    view = rate_limit.rate_limited("rdap")(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/rdap/ip/39.32.0.1", REMOTE_ADDR="203.0.113.5")
    request.user = None  # type: ignore[assignment]
    with time_machine.travel(MOMENT, tick=False):
        assert view(request).status_code == 200
        refused = view(request)
    assert refused.status_code == 429 and refused["Retry-After"] == "40"
    assert refused["Content-Type"] == "application/rdap+json"
    assert refused.content.startswith(b'{"rdapConformance"')


def test_anonymous_lookups_are_limited_per_address_and_an_operator_s_key_is_not(
    world: dict[str, Any], limits: Any
) -> None:
    limits(lookup="3/m")
    _, token = api_key_for(world["operator"], world["isp"], ["lookup"])
    client = Client(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(3):  # "not registered" is an answer, and it counts
            assert client.get("/api/v1/lookup/ip/192.0.2.1").status_code == 404
        refused = client.get("/api/v1/lookup/ip/192.0.2.1")
        assert refused.status_code == 429 and refused["Retry-After"] == "40"
        assert refused.json()["error"]["code"] == "rate_limited"
        # every lookup door shares the one count
        assert client.get("/api/v1/lookup/prefix", {"prefix": "192.0.2.0/24"}).status_code == 429
        assert client.get("/api/v1/lookup/holder", {"name": "Nobody"}).status_code == 429
        # a network operator's key is not held to the public's rate
        for _ in range(10):
            assert client.get("/api/v1/lookup/ip/192.0.2.1", **bearer(token)).status_code == 404
        batch = client.post(
            "/api/v1/lookup/ip",
            {"addresses": ["192.0.2.1"]},
            content_type="application/json",
            **bearer(token),
        )
        assert batch.status_code == 200


def test_the_sixty_first_rdap_query_in_a_minute_is_refused_in_rdap_s_error_shape(
    seeded: Any, limits: Any
) -> None:
    limits(rdap="60/m")
    client = Client(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(60):
            assert client.get("/rdap/ip/192.0.2.1").status_code == 404
        refused = client.get("/rdap/help")
        assert refused.status_code == 429 and refused["Retry-After"] == "40"
        assert refused["Content-Type"] == "application/rdap+json"
        assert refused.json()["errorCode"] == 429
        assert Client(REMOTE_ADDR="203.0.113.6").get("/rdap/help").status_code == 200
