"""The plain public pages: the register with search, a licence, sign-in, and their stylesheet."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_register_page_lists_and_searches_the_seeded_licences(seeded: Any) -> None:
    page = Client().get("/register/").content.decode()
    for holder in ("Zettabyte Pvt Ltd", "Alpha 3 Cubic Pvt Ltd", "Vision Tech 360 Pvt Ltd"):
        assert holder in page
    assert "not published" in page and "public record" in page
    found = Client().get("/register/", {"q": "crest"}).content.decode()
    assert "Zettabyte Pvt Ltd" in found and "Alpha 3 Cubic" not in found


def test_register_page_explains_a_bad_filter_instead_of_failing(seeded: Any) -> None:
    response = Client().get("/register/", {"status": "bogus"})
    assert response.status_code == 200
    assert "Unknown status" in response.content.decode()


def test_licence_page_shows_status_history_and_conditions(seeded: Any) -> None:
    from cvas.licensing.models import Licence

    lic = Licence.objects.get(holder__name="Zettabyte Pvt Ltd")
    page = Client().get(f"/register/id/{lic.pk}/").content.decode()
    assert (
        "Crest VPN" in page
        and "Not published" in page
        and "Recorded from the public record" in page
    )
    assert "lawful purposes" in page
    assert Client().get("/register/CVAS-DATA-1999-0001/").status_code == 404


def test_home_answers_whether_a_brand_is_licensed(seeded: Any) -> None:
    assert "Licensed" in Client().get("/", {"q": "Crest VPN"}).content.decode()
    assert "Not on the register" in Client().get("/", {"q": "Shady Tunnel"}).content.decode()


def test_sign_in_page_signs_a_user_in(make_user: Any) -> None:
    make_user("someone@example.test", password="a long enough password")
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/",
        {"username": "someone@example.test", "password": "a long enough password"},
    )
    assert response.status_code == 302
    bad = Client().post(
        "/accounts/login/", {"username": "someone@example.test", "password": "wrong"}
    )
    assert bad.status_code == 200 and "correct" in bad.content.decode().lower()


def test_the_stylesheet_is_served() -> None:
    response = Client().get("/static/cvas/site.css")
    assert response.status_code == 200
