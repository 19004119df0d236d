"""Lockout after repeated failed sign-ins: per account from an address, and per address; short."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()


def attempt(email: str, password: str, address: str = "203.0.113.10") -> Any:
    return Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": email, "password": password}
    )


def test_five_wrong_passwords_lock_the_account_from_that_address_even_for_the_right_one(
    make_user: Any,
) -> None:
    user = make_user("victim@provider.test")
    for _ in range(5):
        assert "not correct" in attempt(user.email, "guess").content.decode()
    right = attempt(user.email, PASSWORD)
    page = right.content.decode()
    assert right.status_code == 200 and "Too many failed attempts" in page
    assert "paused for 15 more minutes" in page


def test_an_attacker_elsewhere_cannot_lock_the_real_user_out(make_user: Any) -> None:
    user = make_user("victim@provider.test")
    for _ in range(10):
        attempt(user.email, "guess", address="198.51.100.66")
    assert attempt(user.email, PASSWORD, address="203.0.113.10").status_code == 302


def test_the_lock_lifts_by_itself_after_the_cool_off(make_user: Any) -> None:
    user = make_user("victim@provider.test")
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            attempt(user.email, "guess")
        assert attempt(user.email, PASSWORD).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert attempt(user.email, PASSWORD).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        assert attempt(user.email, PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_locked_out_of_all_of_them(
    make_user: Any, settings: Any
) -> None:
    settings.CVAS_LOCKOUT_ADDRESS_ATTEMPTS = 6
    users = [make_user(f"staff{i}@provider.test") for i in range(7)]
    for user in users[:6]:
        attempt(user.email, "guess", address="192.0.2.200")
    assert attempt(users[6].email, PASSWORD, address="192.0.2.200").status_code == 200
    assert attempt(users[6].email, PASSWORD, address="192.0.2.201").status_code == 302


def test_a_successful_sign_in_clears_the_count(make_user: Any) -> None:
    user = make_user("typo@provider.test")
    for _ in range(4):
        attempt(user.email, "guess")
    assert attempt(user.email, PASSWORD).status_code == 302
    for _ in range(4):
        attempt(user.email, "guess")
    assert attempt(user.email, PASSWORD).status_code == 302


def test_the_lock_is_counted_under_the_address_a_trusted_proxy_reports(
    make_user: Any, settings: Any
) -> None:
    settings.CVAS_TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = make_user("victim@provider.test")
    behind = {"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for _ in range(5):
        Client(**behind).post("/accounts/login/", {"username": user.email, "password": "x"})
    # another client behind the same proxy is not locked out
    other = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert (
        other.post("/accounts/login/", {"username": user.email, "password": PASSWORD}).status_code
        == 302
    )
