"""Signing in: Argon2 hashes, sign-up with e-mail verification, password reset by e-mail, cookies."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from cvas.accounts.models import User
from cvas.config import settings as project_settings

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough secret 42"


def link_in(body: str, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", body)
    assert match is not None, body
    return match.group(1)


def sign_up(client: Client, capture: Any, email: str = "new@provider.test") -> Any:
    with capture(execute=True):
        return client.post(
            "/portal/sign-up/",
            {
                "email": email,
                "full_name": "New Person",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )


def test_passwords_are_stored_as_argon2id_and_older_hashes_are_upgraded_at_sign_in(
    settings: Any, make_user: Any
) -> None:
    assert (
        project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = make_user("someone@example.test", password=PASSWORD)
    assert user.password.startswith("argon2$argon2id$")

    # an account whose hash predates Argon2 gets an Argon2 hash the next time it signs in
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    response = Client().post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


def test_a_new_account_signs_in_only_after_its_address_is_confirmed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    assert (
        sign_up(client, django_capture_on_commit_callbacks)["Location"] == "/accounts/sign-up/sent/"
    )
    user = User.objects.get(email="new@provider.test")
    assert not user.email_verified
    (message,) = mail.outbox
    assert message.to == ["new@provider.test"] and "Confirm" in message.subject

    refused = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert refused.status_code == 200
    assert "Confirm your e-mail address first" in refused.content.decode()
    assert len(mail.outbox) == 2  # a new link is sent

    confirmed = client.get(link_in(message.body, "/accounts/verify/"))
    assert confirmed["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.email_verified
    signed_in = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302


def test_a_tampered_or_expired_confirmation_link_confirms_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    sign_up(client, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0].body, "/accounts/verify/")
    assert client.get(link[:-5] + "xxxx/").status_code == 400
    with time_machine.travel("2099-01-01"):
        expired = client.get(link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    assert not User.objects.get(email="new@provider.test").email_verified


def test_signing_up_with_a_taken_address_says_nothing_on_the_page_and_tells_its_owner(
    make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_user("taken@provider.test")
    response = sign_up(Client(), django_capture_on_commit_callbacks, email="Taken@Provider.test")
    assert response["Location"] == "/accounts/sign-up/sent/"  # the same answer as a new address
    assert User.objects.filter(email__iexact="taken@provider.test").count() == 1
    (message,) = mail.outbox
    assert message.to == [owner.email] and "already have an account" in message.subject
    assert "/accounts/password-reset/" in message.body


def test_a_forgotten_password_is_reset_through_a_link_that_works_once(make_user: Any) -> None:
    user = make_user("forgetful@provider.test", password="the old password 1")
    client = Client()
    assert (
        client.post("/accounts/password-reset/", {"email": "nobody@provider.test"}).status_code
        == 302
    )
    assert mail.outbox == []  # an unknown address gets the same page and no e-mail
    sent = client.post("/accounts/password-reset/", {"email": user.email})
    assert sent["Location"] == "/accounts/password-reset/sent/"
    (message,) = mail.outbox
    link = link_in(message.body, "/accounts/password-reset/")
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done["Location"] == "/accounts/password-reset/done/"
    assert (
        Client()
        .post("/accounts/login/", {"username": user.email, "password": PASSWORD})
        .status_code
        == 302
    )
    old = Client().post(
        "/accounts/login/", {"username": user.email, "password": "the old password 1"}
    )
    assert old.status_code == 200
    again = Client().get(link, follow=True)
    assert "not valid any more" in again.content.decode()


def test_a_password_reset_also_confirms_an_unconfirmed_address(
    django_capture_on_commit_callbacks: Any,
) -> None:
    sign_up(Client(), django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client = Client()
    client.post("/accounts/password-reset/", {"email": "new@provider.test"})
    form = client.get(link_in(mail.outbox[0].body, "/accounts/password-reset/"), follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "another long secret 7", "new_password2": "another long secret 7"},
    )
    assert User.objects.get(email="new@provider.test").email_verified


def test_the_session_cookie_is_http_only_and_expires_within_a_working_day(make_user: Any) -> None:
    user = make_user("cookie@provider.test", password=PASSWORD)
    response = Client().post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert 0 < int(cookie["max-age"]) <= 8 * 3600
    assert response.cookies["csrftoken"]["httponly"]


ORGANISATION_EXISTS = "An organisation named %(name)s already exists."


def test_a_new_member_signed_in_in_urdu_is_told_in_urdu_that_the_organisation_exists(
    make_user: Any, make_org: Any, client_for: Any
) -> None:
    make_org("Swat Secure Pvt Ltd")
    client = client_for(make_user("new@provider.test"))
    refused = client.post(
        "/ur/portal/organisations/new/",
        {"name": "Swat Secure Pvt Ltd", "kind": "company", "contact_email": "c@swat.test"},
    )
    assert refused.status_code == 200
    page = refused.content.decode()
    with translation.override("ur"):
        urdu = translation.gettext(ORGANISATION_EXISTS) % {"name": "'Swat Secure Pvt Ltd'"}
    assert escape(urdu) in page
    assert "already exists" not in page
    # the same refusal in English, word for word as before
    english = client.post(
        "/portal/organisations/new/",
        {"name": "Swat Secure Pvt Ltd", "kind": "company", "contact_email": "c@swat.test"},
    )
    assert escape("An organisation named 'Swat Secure Pvt Ltd' already exists.") in (
        english.content.decode()
    )
