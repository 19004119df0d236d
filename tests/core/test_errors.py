"""Failures reach users as generic pages: 503 with Retry-After when the database is down or locked
(and nothing half-written), 500 otherwise, never a stack trace."""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client

from cvas.accounts.models import Organisation
from cvas.audit.models import AuditEvent

SECRET = "secret internal detail"
ORG = {"name": "Half Written Pvt Ltd", "kind": "company", "contact_email": "c@half.test"}


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def assert_generic_503(response: Any, *, api: bool) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    if api:
        assert response.json()["error"]["code"] == "service_unavailable"
    else:
        assert "temporarily unavailable" in body
    for leak in ("Traceback", "OperationalError", "locked", "connect", "sqlite", "psycopg"):
        assert leak not in body


@pytest.mark.django_db
def test_an_unexpected_failure_shows_a_generic_page_without_a_trace(
    settings: Any, seeded: Any
) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.core.failing_urls"
    page = Client(raise_request_exception=False).get("/boom/")
    body = page.content.decode()
    assert page.status_code == 500 and "Something went wrong" in body
    assert SECRET not in body and "Traceback" not in body and "RuntimeError" not in body

    settings.ROOT_URLCONF = "cvas.config.urls"
    with mock.patch("cvas.licensing.selectors.regime_list", side_effect=RuntimeError(SECRET)):
        api = Client(raise_request_exception=False).get("/api/v1/regimes")
    assert api.status_code == 500
    assert api.json()["error"] == {
        "code": "internal_error",
        "message": "Something went wrong on our side; it has been logged.",
        "details": [],
    }


@pytest.mark.django_db
def test_a_database_that_is_down_answers_503_to_pages_and_api(seeded: Any) -> None:
    refused = OperationalError("could not connect to server: Connection refused")
    with mock.patch.object(type(connections["default"]), "cursor", side_effect=refused):
        page = Client(raise_request_exception=False).get("/register/")
        api = Client(raise_request_exception=False).get("/api/v1/register/licences")
        keyed = Client(raise_request_exception=False).get(
            "/api/v1/me", HTTP_AUTHORIZATION="Bearer cvas_abcdefghij_" + "A" * 49
        )
    assert_generic_503(page, api=False)
    assert_generic_503(api, api=True)
    assert keyed.status_code in (401, 503)  # a malformed key is refused before any query


@pytest.mark.django_db
def test_a_failure_in_the_middle_of_a_write_leaves_nothing_behind(
    world: dict[str, Any], client_for: Any
) -> None:
    """The organisation row is written, then the audit append fails: both are rolled back."""
    client = client_for(world["member_a"])
    before = (Organisation.objects.count(), AuditEvent.objects.count())
    with mock.patch(
        "cvas.accounts.services.audit_record", side_effect=OperationalError("database is locked")
    ):
        api = post_json(client, "/api/v1/organisations", ORG)
        page = Client(raise_request_exception=False)
        page.force_login(world["member_a"])
        form = page.post("/portal/organisations/new/", ORG)
    assert_generic_503(api, api=True)
    assert_generic_503(form, api=False)
    assert (Organisation.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_answers_503_and_writes_nothing(
    world: dict[str, Any], client_for: Any
) -> None:
    client = client_for(world["member_a"])
    client.raise_request_exception = False
    before = (Organisation.objects.count(), AuditEvent.objects.count())
    if connection.vendor == "sqlite":
        holder: Any = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        options = connection.settings_dict["OPTIONS"]
        saved = options["timeout"]
        options["timeout"] = 0.3
        connection.close()
    else:
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        holder = psycopg.connect(**params)
        holder.execute("LOCK TABLE accounts_organisation IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '300ms'")
    try:
        api = post_json(client, "/api/v1/organisations", ORG)
        form = client.post("/portal/organisations/new/", ORG)
    finally:
        holder.rollback() if connection.vendor != "sqlite" else holder.execute("ROLLBACK")
        holder.close()
        if connection.vendor == "sqlite":
            options["timeout"] = saved
        connection.close()
    assert_generic_503(api, api=True)
    assert_generic_503(form, api=False)
    assert (Organisation.objects.count(), AuditEvent.objects.count()) == before
