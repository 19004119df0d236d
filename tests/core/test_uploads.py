"""Uploads: size limits, the type checked by content, names never trusted, files kept outside the
web root and handed only to those allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve

from cvas.licensing.models import ApplicationDocument
from tests.conftest import PDF, api_key_for, bearer

pytestmark = pytest.mark.django_db

API = "/api/v1"


def upload(client: Client, app_id: int, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(
        f"{API}/applications/{app_id}/documents",
        {"kind": "security_policy", "file": SimpleUploadedFile(name, content, "application/pdf")},
        **extra,
    )


@pytest.fixture
def draft(world: dict[str, Any], complete_application: Any) -> Any:
    return complete_application()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("policy.pdf", b"MZ\x90\x00 an executable renamed .pdf", "not a PDF"),
        ("policy.pdf", b"<html><script>alert(1)</script></html>", "not a PDF"),
        ("policy.pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\n", "incomplete"),
        (
            "policy.pdf",
            b"%PDF-1.7\n1 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\n%%EOF\n",
            "active content",
        ),
        (
            "policy.pdf",
            b"%PDF-1.7\n1 0 obj<</Type/Action/S/Launch/F(cmd.exe)>>endobj\n%%EOF\n",
            "active content",
        ),
        ("policy.pdf", b"", "empty"),
    ],
)
def test_a_document_is_checked_by_its_content_not_its_name(
    world: dict[str, Any], draft: Any, client_for: Any, name: str, content: bytes, reason: str
) -> None:
    before = ApplicationDocument.objects.count()
    response = upload(client_for(world["member_a"]), draft.pk, name, content)
    assert response.status_code == 422, response.content
    assert reason in response.json()["error"]["message"]
    assert response.json()["error"]["details"][0]["field"] == "file"
    assert ApplicationDocument.objects.count() == before


def test_a_document_over_the_limit_is_refused_and_a_huge_body_is_refused_unread(
    world: dict[str, Any], draft: Any, client_for: Any, settings: Any
) -> None:
    settings.DOCUMENT_MAX_BYTES = 1000
    client = client_for(world["member_a"])
    big = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"
    refused = upload(client, draft.pk, "big.pdf", big)
    assert refused.status_code == 422 and "the limit is 1,000" in refused.json()["error"]["message"]

    huge = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 2000) + b"\n%%EOF\n"
    too_large = upload(client, draft.pk, "huge.pdf", huge)
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "too_large"
    page = client.post(
        f"/portal/applications/{draft.pk}/documents/",
        {"kind": "security_policy", "file": SimpleUploadedFile("huge.pdf", huge)},
    )
    assert page.status_code == 413 and "too large" in page.content.decode()
    # refused before the language middleware runs, yet in the language of the page's address
    urdu = client.post(
        f"/ur/portal/applications/{draft.pk}/documents/",
        {"kind": "security_policy", "file": SimpleUploadedFile("huge.pdf", huge)},
    ).content.decode()
    assert '<html lang="ur" dir="rtl">' in urdu and "فائل بہت بڑی ہے" in urdu


def test_the_uploader_s_file_name_is_only_displayed_and_the_file_lives_outside_the_web_root(
    world: dict[str, Any], draft: Any, client_for: Any
) -> None:
    response = upload(client_for(world["member_a"]), draft.pk, "../../etc/cron.d/evil\x07.pdf", PDF)
    assert response.status_code == 201
    doc = ApplicationDocument.objects.get(pk=response.json()["id"])
    assert doc.original_name == "evil.pdf"
    stored = Path(doc.file.path).resolve()
    media = Path(django_settings.MEDIA_ROOT).resolve()
    assert stored.is_relative_to(media) and stored.name != "evil.pdf"
    assert stored.parent == media / "applications" / str(draft.pk)
    for web_root in (
        Path(django_settings.STATIC_ROOT),
        *map(Path, django_settings.STATICFILES_DIRS),
    ):
        assert not stored.is_relative_to(web_root.resolve())
    relative = stored.relative_to(media)
    for guess in (
        f"/{relative}",
        f"/media/{relative}",
        f"/uploads/{relative}",
        f"/static/{relative}",
    ):
        try:
            resolve(guess)
        except Resolver404:
            continue
        assert Client().get(guess).status_code == 404


def test_a_document_is_handed_only_to_its_organisation_and_the_regulator(
    world: dict[str, Any], draft: Any, client_for: Any
) -> None:
    doc = draft.documents.first()
    url = f"{API}/applications/{draft.pk}/documents/{doc.pk}"
    own = client_for(world["member_a"]).get(url)
    assert own.status_code == 200 and b"".join(own.streaming_content) == PDF
    assert own["Content-Type"] == "application/pdf"
    assert own["Content-Disposition"].startswith("attachment;")
    assert own["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in own["Content-Security-Policy"]
    assert client_for(world["member_b"]).get(url).status_code == 404
    assert Client().get(url).status_code == 401
    _, other_key = api_key_for(world["member_b"], world["org_b"], ["read"])
    assert Client().get(url, **bearer(other_key)).status_code == 404
    assert client_for(world["auditor"]).get(url).status_code == 200
    page = f"/portal/applications/{draft.pk}/documents/{doc.pk}/"
    assert client_for(world["member_b"]).get(page).status_code == 404
    assert Client().get(page).status_code == 302  # to the sign-in page
    staff_page = f"/staff/applications/{draft.pk}/documents/{doc.pk}/"
    assert client_for(world["member_a"]).get(staff_page).status_code == 404
    assert client_for(world["officer"]).get(staff_page).status_code == 200


def test_a_bulk_import_must_be_a_text_file_within_its_limit(
    world: dict[str, Any], complete_application: Any, client_for: Any, settings: Any
) -> None:
    from cvas.licensing import services as lic
    from tests.conftest import principal

    draft = complete_application()
    lic.application_submit(principal=principal(world["member_a"]), application=draft)
    lic.application_take(principal=principal(world["officer"]), application=draft)
    licence = lic.application_approve(
        principal=principal(world["officer"]), application=draft, reason="ok"
    )
    client = client_for(world["member_a"])

    def send(name: str, content: bytes) -> Any:
        return client.post(
            f"{API}/imports",
            {
                "licence": str(licence.pk),
                "kind": "endpoints",
                "file": SimpleUploadedFile(name, content),
            },
        )

    binary = send("endpoints.csv", PDF.replace(b"\n", b"\x00"))
    assert binary.status_code == 422 and "not a CSV" in binary.json()["error"]["message"]
    settings.CVAS_IMPORT_MAX_BYTES = 100
    big = send("endpoints.csv", b"ref,prefix\n" + b"r1,39.32.0.0/24\n" * 20)
    assert big.status_code == 422 and "the limit is 100" in big.json()["error"]["message"]
    settings.CVAS_IMPORT_MAX_BYTES = 10_000
    ok = send(
        "endpoints.csv", b"ref,prefix,holder_name,holder_type\nr1,39.32.0.0/24,A,organisation\n"
    )
    assert ok.status_code == 202
