"""The public site: verify a VPN in plain words, the register with its downloads, the policy
timeline, statistics, and the stable verification page a certificate's QR code opens."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client

from cvas.licensing import services
from cvas.licensing.models import Licence
from tests.conftest import principal

pytestmark = pytest.mark.django_db


def _issued(world: dict[str, Any], complete_application: Any, **overrides: Any) -> Licence:
    app = complete_application(**overrides)
    services.application_submit(principal=principal(world["member_a"]), application=app)
    officer = principal(world["officer"])
    services.application_take(principal=officer, application=app)
    return services.application_approve(principal=officer, application=app, reason="Complete.")


def test_verify_answers_licensed_suspended_revoked_and_unknown_in_plain_words(
    world: dict[str, Any], complete_application: Any
) -> None:
    lic = _issued(world, complete_application)
    page = Client().get("/", {"q": "Falcon Shield VPN"}).content.decode()
    assert "Licensed" in page and "Provider A Pvt Ltd holds a CVAS-Data class licence" in page

    services.licence_suspend(
        principal=principal(world["officer"]), licence=lic, reason="No return."
    )
    page = Client().get("/", {"q": "falconshield.example"}).content.decode()
    assert "Not licensed: Suspended" in page and "is suspended" in page

    services.licence_revoke(principal=principal(world["officer"]), licence=lic, reason="Breach.")
    assert "has been revoked" in Client().get("/", {"q": "Falcon Shield VPN"}).content.decode()

    unknown = Client().get("/", {"q": "Shady Tunnel"}).content.decode()
    assert "Not on the register" in unknown and "may be unlawful" in unknown


def test_verify_finds_a_licence_by_a_gateway_address(
    world: dict[str, Any], complete_application: Any
) -> None:
    _issued(world, complete_application)
    page = Client().get("/", {"q": "39.32.0.77"}).content.decode()
    assert 'data-status="active"' in page and "Provider A Pvt Ltd" in page
    assert "Not on the register" in Client().get("/", {"q": "39.33.0.1"}).content.decode()


def test_verify_explains_an_unreadable_website_next_to_the_field(seeded: Any) -> None:
    page = Client().get("/", {"q": "a..b"}).content.decode()
    assert 'id="q-error"' in page and 'aria-invalid="true"' in page
    assert "is not a brand name, a website" in page


def test_register_filters_sorts_and_pages(seeded: Any) -> None:
    page = Client().get("/register/", {"status": "active", "sort": "-holder"}).content.decode()
    assert page.index("Zettabyte Pvt Ltd") < page.index("Alpha 3 Cubic Pvt Ltd")
    assert "5 licences" in page
    none = Client().get("/register/", {"status": "revoked"}).content.decode()
    assert "No licence matches." in none


def test_register_downloads_as_csv_and_json_with_the_same_filters(seeded: Any) -> None:
    response = Client().get("/register.csv", {"q": "crest"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["holder"] for r in rows] == ["Zettabyte Pvt Ltd"]
    assert rows[0]["brands"] == "Crest VPN" and rows[0]["status"] == "active"
    data = json.loads(Client().get("/register.json").content)
    assert data["count"] == 5 and {i["holder"] for i in data["items"]} >= {"Zettabyte Pvt Ltd"}


def test_policy_timeline_lists_each_regime_with_its_sources(seeded: Any) -> None:
    page = Client().get("/policy/").content.decode()
    assert "IP address registration for VPN use" in page
    assert "Reinstated CVAS-Data regime" in page and "in force today" in page
    assert "Dawn, 25 Feb 2025" in page


def test_statistics_draw_accessible_charts_with_tables(
    world: dict[str, Any], complete_application: Any
) -> None:
    _issued(world, complete_application)
    page = Client().get("/statistics/").content.decode()
    assert page.count('role="img"') >= 2 and "<desc" in page
    assert page.count("<table") >= 2 and "Licences by status today" in page


def test_the_certificate_address_shows_the_current_status_without_a_language_prefix(
    world: dict[str, Any], complete_application: Any
) -> None:
    lic = _issued(world, complete_application)
    address = f"/v/{lic.verification_token}/"
    assert "Valid: this licence is active" in Client().get(address).content.decode()
    services.licence_revoke(principal=principal(world["officer"]), licence=lic, reason="Breach.")
    page = Client().get(address).content.decode()
    assert "Not valid: this licence has been revoked" in page and "Breach." in page
    urdu = Client().get(address, HTTP_ACCEPT_LANGUAGE="ur").content.decode()
    assert 'lang="ur" dir="rtl"' in urdu and "منسوخ" in urdu
    assert Client().get("/v/not-a-token/").status_code == 404
    assert Client().get(f"/ur/v/{lic.verification_token}/").status_code == 404


def test_a_first_visit_follows_the_browsers_language_and_the_switcher_is_remembered(
    seeded: Any,
) -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="ur-PK,ur;q=0.9,en;q=0.5")
    first = browser.get("/register/", {"q": "crest"})
    assert first.status_code == 302 and first["Location"] == "/ur/register/?q=crest"
    page = browser.get("/ur/register/").content.decode()
    assert '<html lang="ur" dir="rtl">' in page and "لائسنسوں کا رجسٹر" in page

    switched = browser.post("/i18n/setlang/", {"language": "en", "next": "/ur/register/?q=crest"})
    assert switched["Location"] == "/register/?q=crest"
    english = browser.get("/register/")
    assert english.status_code == 200 and '<html lang="en" dir="ltr">' in english.content.decode()

    plain = Client()
    assert plain.get("/").status_code == 200
    plain.post("/i18n/setlang/", {"language": "ur", "next": "/"})
    assert plain.get("/policy/")["Location"] == "/ur/policy/"


def test_urdu_pages_format_dates_with_urdu_month_names(seeded: Any) -> None:
    lic = Licence.objects.get(holder__name="Zettabyte Pvt Ltd")
    page = Client().get(f"/ur/register/id/{lic.pk}/").content.decode()
    assert "13 نومبر 2025" in page and "شائع نہیں ہوا" in page
