"""Errors raised before any API operation runs still answer in the API's JSON error shape."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_json_404() -> None:
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones() -> None:
    response = Client().delete("/api/v1/regimes")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_pages_outside_the_api_keep_their_html_errors() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_a_page_address_without_its_slash_redirects_an_api_answer_of_404_does_not(
    db: None,
) -> None:
    from django.test import Client

    page = Client().get("/register")
    assert page.status_code == 301 and page["Location"] == "/register/"
    answer = Client().get("/api/v1/lookup/ip/192.0.2.1")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_registered"
    assert Client().get("/api/v1/no-such-thing").json()["error"]["code"] == "not_found"
