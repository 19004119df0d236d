"""The second factor (TOTP) that every regulator role needs before its session acts with the role."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from cvas.accounts import totp
from cvas.accounts.models import TotpDevice, User
from cvas.accounts.principal import Principal
from tests.conftest import SYSTEM, api_key_for, bearer

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()


def sign_in(client: Client, user: User, next_url: str = "/staff/") -> Any:
    return client.post(
        "/accounts/login/", {"username": user.email, "password": PASSWORD, "next": next_url}
    )


def shown_secret(page: str) -> str:
    match = re.search(r'data-totp-secret="([A-Z2-7 ]+)"', page)
    assert match is not None, "the enrolment page shows the key"
    return match.group(1).replace(" ", "")


def test_staff_enrol_an_authenticator_at_first_sign_in_and_only_then_reach_the_back_office(
    world: dict[str, Any],
) -> None:
    client = Client()
    response = sign_in(client, world["officer"])
    assert response["Location"] == "/accounts/two-factor/?next=%2Fstaff%2F"

    # until the second factor, the session holds no regulator role: pages and API alike
    assert client.get("/staff/queue/")["Location"].startswith("/accounts/two-factor/")
    assert client.get("/ur/staff/queue/")["Location"].startswith("/ur/accounts/two-factor/")
    refused = client.get("/api/v1/review/queue")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "second_factor_required"

    page = client.get("/accounts/two-factor/?next=/staff/queue/").content.decode()
    assert "Set up your authenticator app" in page and "<svg" in page
    secret = shown_secret(page)
    device = TotpDevice.objects.get(user=world["officer"])
    assert secret.encode() not in bytes(device.secret_encrypted)  # kept only encrypted

    wrong = client.post("/accounts/two-factor/", {"code": "000000", "next": "/staff/queue/"})
    assert wrong.status_code == 422 and "not right" in wrong.content.decode()
    done = client.post(
        "/accounts/two-factor/", {"code": totp.current_code(secret), "next": "/staff/queue/"}
    )
    assert done["Location"] == "/staff/queue/"
    assert client.get("/staff/queue/").status_code == 200
    assert client.get("/api/v1/review/queue").status_code == 200
    device.refresh_from_db()
    assert device.confirmed_at is not None


def test_later_sign_ins_ask_for_a_fresh_code_and_a_code_works_only_once(
    world: dict[str, Any],
) -> None:
    secret = totp.new_secret()
    totp.device_set(actor=SYSTEM, user=world["auditor"], secret=secret)
    first, second = Client(), Client()
    sign_in(first, world["auditor"])
    page = first.get("/accounts/two-factor/").content.decode()
    assert "data-totp-secret" not in page  # the key is never shown again
    code = totp.current_code(secret)
    assert first.post("/accounts/two-factor/", {"code": code})["Location"] == "/staff/"
    sign_in(second, world["auditor"])
    replay = second.post("/accounts/two-factor/", {"code": code})
    assert replay.status_code == 422
    assert second.get("/api/v1/review/queue").status_code == 403


def test_wrong_codes_count_towards_the_sign_in_lockout(world: dict[str, Any]) -> None:
    secret = totp.new_secret()
    totp.device_set(actor=SYSTEM, user=world["admin"], secret=secret)
    client = Client()
    sign_in(client, world["admin"])
    for _ in range(5):
        client.post("/accounts/two-factor/", {"code": "123456"})
    locked = client.post("/accounts/two-factor/", {"code": totp.current_code(secret)})
    assert locked.status_code == 422 and "Too many failed attempts" in locked.content.decode()


def test_a_code_from_the_previous_or_next_thirty_seconds_is_accepted_and_older_ones_are_not(
    world: dict[str, Any],
) -> None:
    secret = totp.new_secret()
    user = world["compliance"]
    totp.device_set(actor=SYSTEM, user=user, secret=secret)
    now = time.time()
    assert not totp.check_code(user=user, code=totp.current_code(secret, now - 90), now=now)
    assert totp.check_code(user=user, code=totp.current_code(secret, now - 30), now=now)
    assert totp.check_code(user=user, code=totp.current_code(secret, now + 30), now=now)
    assert not totp.check_code(user=user, code=totp.current_code(secret, now), now=now)


def test_accounts_without_a_staff_role_and_api_keys_need_no_second_factor(
    world: dict[str, Any],
) -> None:
    member = Client()
    assert sign_in(member, world["member_a"], next_url="/portal/")["Location"] == "/portal/"
    assert member.get("/accounts/two-factor/")["Location"] == "/portal/"
    _, token = api_key_for(world["officer"], None, ["read"])
    assert Client().get("/api/v1/review/queue", **bearer(token)).status_code == 200


def test_an_administrator_resets_a_lost_authenticator(world: dict[str, Any]) -> None:
    user = world["officer"]
    totp.device_set(actor=SYSTEM, user=user, secret=totp.new_secret())
    out = io.StringIO()
    call_command("totp", "reset", user.email, "--actor", world["admin"].email, stdout=out)
    assert "removed" in out.getvalue()
    assert not TotpDevice.objects.filter(user=user).exists()
    client = Client()
    sign_in(client, user)
    assert "Set up your authenticator app" in client.get("/accounts/two-factor/").content.decode()
    with pytest.raises(Exception, match="administrator"):
        call_command("totp", "reset", user.email, "--actor", world["auditor"].email)


def test_cvas_demo_prints_the_staff_keys_and_they_stay_the_same(seeded: Any) -> None:
    runs = []
    for _ in range(2):
        out = io.StringIO()
        call_command("demo", stdout=out)
        runs.append(
            dict(re.findall(r"^\s+(\S+@demo\.example)\s+([A-Z2-7]{32})$", out.getvalue(), re.M))
        )
    assert runs[0] == runs[1] and set(runs[0]) == {
        "admin@demo.example",
        "licensing@demo.example",
        "compliance@demo.example",
        "auditor@demo.example",
    }
    officer = User.objects.get(email="licensing@demo.example")
    client = Client()
    client.post(
        "/accounts/login/",
        {"username": officer.email, "password": "cvas-demo-2026", "next": "/staff/"},
    )
    code = totp.current_code(runs[0][officer.email])
    assert client.post("/accounts/two-factor/", {"code": code})["Location"] == "/staff/"
    assert Principal.from_request(client.get("/staff/").wsgi_request).has_role("licensing_officer")
