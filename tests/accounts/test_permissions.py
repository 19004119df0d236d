"""Roles and per-object rules over the API, with signed-in sessions and with API keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cvas.accounts import keys
from cvas.accounts.models import ApiKey, Membership
from cvas.accounts.services import membership_remove
from cvas.audit.models import AuditEvent
from cvas.licensing import services
from cvas.licensing.choices import ApplicationState as S
from cvas.licensing.models import Application, Licence
from tests.conftest import COMPLETE, PDF, SYSTEM, api_key_for, bearer, pdf_upload, principal

pytestmark = pytest.mark.django_db

API = "/api/v1"
STAFF_READERS = ("officer", "compliance", "admin", "auditor")
KEY_RE = re.compile(r"^cvas_([a-z0-9]{10})_[0-9A-Za-z]{49}$")


def post(client: Client, url: str, data: Any = None, **extra: Any) -> Any:
    return client.post(
        url, data=json.dumps({} if data is None else data), content_type="application/json", **extra
    )


def patch(client: Client, url: str, data: Any, **extra: Any) -> Any:
    return client.patch(url, data=json.dumps(data), content_type="application/json", **extra)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]  # type: ignore[no-any-return]


def state_of(app: Application) -> tuple[Any, ...]:
    """Everything about an application that a refused request must leave as it was."""
    app.refresh_from_db()
    return (
        app.state,
        app.service_description,
        app.brands,
        app.transitions.count(),
        app.documents.filter(removed_at__isnull=True).count(),
        app.assigned_to_id,
    )


def create_key(client: Client, org_id: int, scopes: list[str], days: int = 30, **extra: Any) -> Any:
    expires = (timezone.now() + dt.timedelta(days=days)).isoformat()
    return post(
        client,
        f"{API}/organisations/{org_id}/api-keys",
        {"name": "ci", "scopes": scopes, "expires_at": expires},
        **extra,
    )


@pytest.fixture
def app_a(world: dict[str, Any], complete_application: Any) -> Application:
    """A complete draft of Provider A, with two documents."""
    return complete_application()


@pytest.fixture
def submitted_a(world: dict[str, Any], app_a: Application) -> Application:
    services.application_submit(principal=principal(world["member_a"]), application=app_a)
    return app_a


@pytest.fixture
def under_review_a(world: dict[str, Any], submitted_a: Application) -> Application:
    services.application_take(principal=principal(world["officer"]), application=submitted_a)
    return submitted_a


# -- anonymous -----------------------------------------------------------------------------------


def test_anonymous_callers_get_401_on_applications(app_a: Application) -> None:
    anon = Client()
    for response in (
        anon.get(f"{API}/applications"),
        anon.get(f"{API}/applications/{app_a.pk}"),
        anon.get(f"{API}/applications/{app_a.pk}/documents/{app_a.documents.first().pk}"),
        post(anon, f"{API}/applications", {"organisation_id": app_a.organisation_id}),
        patch(anon, f"{API}/applications/{app_a.pk}", {"service_description": "anonymous edit"}),
        post(anon, f"{API}/applications/{app_a.pk}/withdraw"),
        anon.get(f"{API}/me"),
    ):
        assert_error(response, 401, "unauthenticated")
        assert response["WWW-Authenticate"] == 'Bearer realm="cvas"'
    assert Application.objects.count() == 1
    assert state_of(app_a)[0] == S.DRAFT


def test_the_public_register_needs_no_sign_in(seeded: Any) -> None:
    anon = Client()
    assert anon.get(f"{API}/register/licences").status_code == 200
    assert anon.get(f"{API}/verify", {"brand": "Crest VPN"}).status_code == 200
    assert anon.get(f"{API}/regimes").status_code == 200


# -- another organisation: 404, as if it did not exist ------------------------------------------------


@pytest.mark.parametrize("who", ["member_b", "operator"])
def test_another_organisations_member_gets_404_for_everything_about_an_application(
    world: dict[str, Any], app_a: Application, client_for: Any, who: str
) -> None:
    c = client_for(world[who])
    doc = app_a.documents.first()
    before = state_of(app_a)
    url = f"{API}/applications/{app_a.pk}"
    missing = c.get(f"{API}/applications/999999").json()
    attempts = {
        "read": c.get(url),
        "patch": patch(c, url, {"service_description": "Taken over by another provider, sorry."}),
        "submit": post(c, f"{url}/submit"),
        "withdraw": post(c, f"{url}/withdraw", {"reason": "not ours"}),
        "respond": post(c, f"{url}/respond", {"response": "not ours"}),
        "upload": c.post(f"{url}/documents", {"kind": "other", "file": pdf_upload("planted.pdf")}),
        "download": c.get(f"{url}/documents/{doc.pk}"),
        "remove document": c.delete(f"{url}/documents/{doc.pk}"),
    }
    for what, response in attempts.items():
        error = assert_error(response, 404, "not_found")
        # Indistinguishable from an application that does not exist.
        assert error == missing["error"], what
        assert b"Provider A" not in response.content
    assert state_of(app_a) == before


def test_another_organisations_member_does_not_see_the_application_in_a_list(
    world: dict[str, Any], app_a: Application, client_for: Any
) -> None:
    mine = services.application_create(
        principal=principal(world["member_b"]), organisation=world["org_b"], data={}
    )
    listing = client_for(world["member_b"]).get(f"{API}/applications").json()
    assert [i["id"] for i in listing["items"]] == [mine.pk]
    assert listing["count"] == 1
    own = client_for(world["member_a"]).get(f"{API}/applications").json()
    assert [i["id"] for i in own["items"]] == [app_a.pk]


def test_a_member_cannot_start_an_application_for_another_organisation(
    world: dict[str, Any], client_for: Any
) -> None:
    response = post(
        client_for(world["member_b"]), f"{API}/applications", {"organisation_id": world["org_a"].pk}
    )
    assert_error(response, 404, "not_found")
    assert not Application.objects.exists()


def test_a_member_of_two_organisations_reaches_both(
    world: dict[str, Any], app_a: Application, client_for: Any
) -> None:
    from cvas.accounts.services import membership_set

    membership_set(actor=SYSTEM, organisation=world["org_a"], user=world["member_b"], role="member")
    c = client_for(world["member_b"])
    assert c.get(f"{API}/applications/{app_a.pk}").status_code == 200
    assert (
        patch(
            c, f"{API}/applications/{app_a.pk}", {"fee_payment_reference": "PSID-2026-000999"}
        ).status_code
        == 200
    )


# -- regulator staff ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", STAFF_READERS)
def test_staff_readers_can_read_any_application_and_its_documents(
    world: dict[str, Any], submitted_a: Application, client_for: Any, who: str
) -> None:
    c = client_for(world[who])
    detail = c.get(f"{API}/applications/{submitted_a.pk}")
    assert detail.status_code == 200
    assert detail.json()["organisation"] == "Provider A Pvt Ltd"
    assert submitted_a.pk in [i["id"] for i in c.get(f"{API}/applications").json()["items"]]
    download = c.get(
        f"{API}/applications/{submitted_a.pk}/documents/{submitted_a.documents.first().pk}"
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize("who", ["compliance", "admin", "auditor", "member_a"])
def test_only_a_licensing_officer_takes_an_application_under_review(
    world: dict[str, Any], submitted_a: Application, client_for: Any, who: str
) -> None:
    before = state_of(submitted_a)
    error = assert_error(
        post(client_for(world[who]), f"{API}/applications/{submitted_a.pk}/take"), 403, "forbidden"
    )
    assert "licensing_officer" in error["message"]
    assert state_of(submitted_a) == before


def test_a_licensing_officer_takes_an_application_under_review(
    world: dict[str, Any], submitted_a: Application, client_for: Any
) -> None:
    response = post(client_for(world["officer"]), f"{API}/applications/{submitted_a.pk}/take")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["assigned_to"]) == (
        "under_review",
        "officer@regulator.test",
    )


@pytest.mark.parametrize("who", ["compliance", "admin", "auditor", "member_a"])
@pytest.mark.parametrize(
    ("move", "data"),
    [
        ("approve", {"reason": "Looks fine."}),
        ("reject", {"reason": "Looks bad."}),
        ("request-information", {"reason": "Why?"}),
    ],
)
def test_only_a_licensing_officer_decides(
    world: dict[str, Any],
    under_review_a: Application,
    client_for: Any,
    who: str,
    move: str,
    data: dict[str, str],
) -> None:
    before = state_of(under_review_a)
    assert_error(
        post(client_for(world[who]), f"{API}/applications/{under_review_a.pk}/{move}", data),
        403,
        "forbidden",
    )
    assert state_of(under_review_a) == before
    assert not Licence.objects.filter(application=under_review_a).exists()


@pytest.mark.parametrize("who", STAFF_READERS)
def test_staff_cannot_edit_or_act_for_an_applicant_and_are_told_so_with_403(
    world: dict[str, Any], app_a: Application, client_for: Any, who: str
) -> None:
    c = client_for(world[who])
    url = f"{API}/applications/{app_a.pk}"
    before = state_of(app_a)
    for response in (
        patch(c, url, {"service_description": "Edited by the regulator, which it must not do."}),
        post(c, f"{url}/submit"),
        post(c, f"{url}/withdraw", {"reason": "on their behalf"}),
        c.post(f"{url}/documents", {"kind": "other", "file": pdf_upload()}),
        c.delete(f"{url}/documents/{app_a.documents.first().pk}"),
        post(c, f"{API}/applications", {"organisation_id": world["org_a"].pk}),
    ):
        assert_error(response, 403, "forbidden")
    assert state_of(app_a) == before
    assert Application.objects.count() == 1


def test_the_auditor_reads_everything_and_changes_nothing(
    world: dict[str, Any], under_review_a: Application, client_for: Any
) -> None:
    auditor = client_for(world["auditor"])
    crest = Licence.objects.get(holder__name="Zettabyte Pvt Ltd")
    url = f"{API}/applications/{under_review_a.pk}"
    events = AuditEvent.objects.count()
    before = state_of(under_review_a)

    assert auditor.get(url).status_code == 200
    assert auditor.get(f"{API}/review/queue").json()["count"] == 1
    assert auditor.get(f"{API}/organisations").status_code == 200

    attempts = [
        patch(auditor, url, {"service_description": "An auditor's edit that must not happen."}),
        post(auditor, f"{url}/withdraw", {"reason": "audit"}),
        post(auditor, f"{url}/take"),
        post(auditor, f"{url}/request-information", {"reason": "audit"}),
        post(auditor, f"{url}/approve", {"reason": "audit"}),
        post(auditor, f"{url}/reject", {"reason": "audit"}),
        auditor.post(f"{url}/documents", {"kind": "other", "file": pdf_upload()}),
        post(auditor, f"{API}/applications", {"organisation_id": world["org_a"].pk}),
        *(
            post(auditor, f"{API}/licences/{crest.pk}/{a}", {"reason": "audit"})
            for a in ("suspend", "revoke", "renew", "surrender")
        ),
        post(
            auditor, f"{API}/licences/{crest.pk}/official-number", {"number": "PTA/CVAS/2025/001"}
        ),
    ]
    for response in attempts:
        assert_error(response, 403, "forbidden")
    assert AuditEvent.objects.count() == events
    assert state_of(under_review_a) == before
    crest.refresh_from_db()
    assert (crest.status, crest.number, crest.events.count()) == ("active", None, 1)


def test_the_review_queue_is_for_the_regulator_not_applicants(
    world: dict[str, Any], submitted_a: Application, client_for: Any
) -> None:
    assert [
        i["id"] for i in client_for(world["officer"]).get(f"{API}/review/queue").json()["items"]
    ] == [submitted_a.pk]
    assert_error(client_for(world["member_a"]).get(f"{API}/review/queue"), 403, "forbidden")


def test_a_session_write_without_the_csrf_token_is_refused(
    world: dict[str, Any], app_a: Application
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["member_a"])
    before = state_of(app_a)
    assert_error(
        patch(
            browser,
            f"{API}/applications/{app_a.pk}",
            {"service_description": "Cross-site request, forged."},
        ),
        403,
    )
    assert state_of(app_a) == before
    assert browser.get(f"{API}/applications/{app_a.pk}").status_code == 200  # reads need no token


def test_an_api_key_needs_no_csrf_token(world: dict[str, Any], app_a: Application) -> None:
    _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    client = Client(enforce_csrf_checks=True)
    response = patch(
        client,
        f"{API}/applications/{app_a.pk}",
        {"fee_payment_reference": "PSID-2026-000777"},
        **bearer(token),
    )
    assert response.status_code == 200, response.content
    app_a.refresh_from_db()
    assert app_a.fee_payment_reference == "PSID-2026-000777"


# -- API keys ------------------------------------------------------------------------------------


def test_a_new_key_is_shown_once_in_the_documented_form_and_only_its_hash_is_stored(
    world: dict[str, Any], client_for: Any
) -> None:
    session = client_for(world["member_a"])
    created = create_key(session, world["org_a"].pk, ["read", "write"])
    assert created.status_code == 201, created.content
    body = created.json()
    token = body["key"]
    match = KEY_RE.match(token)
    assert match is not None, token
    assert match.group(1) == body["prefix"]
    assert keys.parse(token) == body["prefix"]  # the checksum holds

    row = ApiKey.objects.get(pk=body["id"])
    assert row.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    secret = token[len(f"cvas_{row.prefix}_") :]
    stored = json.dumps(list(ApiKey.objects.filter(pk=row.pk).values()), default=str)
    assert token not in stored
    assert secret not in stored and secret[:43] not in stored
    events = list(
        AuditEvent.objects.filter(object_type="accounts.apikey").values("before", "after")
    )
    assert events  # the creation is audited, without the key itself
    assert secret[:43] not in json.dumps(events, default=str)

    listed = session.get(f"{API}/organisations/{world['org_a'].pk}/api-keys")
    assert listed.status_code == 200
    assert [k["prefix"] for k in listed.json()] == [row.prefix]
    assert "key" not in listed.json()[0]
    assert secret[:43].encode() not in listed.content


def test_two_keys_never_share_a_prefix_or_secret(world: dict[str, Any]) -> None:
    tokens = [api_key_for(world["member_a"], world["org_a"], ["read"])[1] for _ in range(5)]
    assert len({t.split("_")[1] for t in tokens}) == 5
    assert len(set(tokens)) == 5


def test_a_key_acts_for_its_organisation(world: dict[str, Any], app_a: Application) -> None:
    _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    c = Client()
    assert [i["id"] for i in c.get(f"{API}/applications", **bearer(token)).json()["items"]] == [
        app_a.pk
    ]
    me = c.get(f"{API}/me", **bearer(token)).json()
    assert me["scopes"] == ["read", "write"]
    assert [m["organisation"] for m in me["memberships"]] == ["Provider A Pvt Ltd"]
    assert (
        patch(
            c,
            f"{API}/applications/{app_a.pk}",
            {"fee_payment_reference": "PSID-2026-000555"},
            **bearer(token),
        ).status_code
        == 200
    )


def test_a_revoked_key_is_refused_on_the_very_next_request(
    world: dict[str, Any], app_a: Application, client_for: Any
) -> None:
    key, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    c = Client()
    assert c.get(f"{API}/applications/{app_a.pk}", **bearer(token)).status_code == 200
    revoked = client_for(world["member_a"]).delete(f"{API}/api-keys/{key.pk}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_error(c.get(f"{API}/applications/{app_a.pk}", **bearer(token)), 401, "revoked_api_key")
    assert_error(
        patch(
            c,
            f"{API}/applications/{app_a.pk}",
            {"fee_payment_reference": "PSID-1"},
            **bearer(token),
        ),
        401,
        "revoked_api_key",
    )


def test_a_key_can_revoke_itself_and_is_refused_from_then_on(world: dict[str, Any]) -> None:
    key, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    c = Client()
    assert c.delete(f"{API}/api-keys/{key.pk}", **bearer(token)).status_code == 200
    assert_error(c.get(f"{API}/applications", **bearer(token)), 401, "revoked_api_key")


def test_an_expired_key_is_refused(world: dict[str, Any]) -> None:
    key, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_error(Client().get(f"{API}/applications", **bearer(token)), 401, "expired_api_key")


@pytest.mark.parametrize(
    ("days", "field"), [(-1, "expires_at"), (0, "expires_at"), (731, "expires_at")]
)
def test_a_key_must_expire_in_the_future_and_within_two_years(
    world: dict[str, Any], client_for: Any, days: int, field: str
) -> None:
    response = create_key(client_for(world["member_a"]), world["org_a"].pk, ["read"], days=days)
    error = assert_error(response, 422, "validation_error")
    assert field in {d["field"] for d in error["details"]}
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("scopes", [[], ["admin"], ["read", "everything"]])
def test_a_key_needs_known_scopes(
    world: dict[str, Any], client_for: Any, scopes: list[str]
) -> None:
    response = create_key(client_for(world["member_a"]), world["org_a"].pk, scopes)
    error = assert_error(response, 422, "validation_error")
    assert "scopes" in {d["field"].split(".")[0] for d in error["details"]}
    assert not ApiKey.objects.exists()


def test_a_read_only_key_reads_but_every_write_is_403(
    world: dict[str, Any], app_a: Application
) -> None:
    key, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    c = Client()
    url = f"{API}/applications/{app_a.pk}"
    assert c.get(url, **bearer(token)).status_code == 200
    before = state_of(app_a)
    for response in (
        patch(
            c,
            url,
            {"service_description": "Written with a read-only key, wrongly."},
            **bearer(token),
        ),
        post(c, f"{API}/applications", {"organisation_id": world["org_a"].pk}, **bearer(token)),
        post(c, f"{url}/submit", **bearer(token)),
        post(c, f"{url}/withdraw", **bearer(token)),
        c.post(f"{url}/documents", {"kind": "other", "file": pdf_upload()}, **bearer(token)),
        c.delete(f"{API}/api-keys/{key.pk}", **bearer(token)),
    ):
        error = assert_error(response, 403, "insufficient_scope")
        assert "write" in error["message"]
    assert state_of(app_a) == before
    assert Application.objects.count() == 1
    key.refresh_from_db()
    assert key.revoked_at is None


def test_a_key_without_the_read_scope_cannot_read(
    world: dict[str, Any], app_a: Application
) -> None:
    _, token = api_key_for(world["member_a"], world["org_a"], ["lookup"])
    assert_error(
        Client().get(f"{API}/applications/{app_a.pk}", **bearer(token)), 403, "insufficient_scope"
    )


def test_a_key_of_another_organisation_gets_404(world: dict[str, Any], app_a: Application) -> None:
    _, token = api_key_for(world["member_b"], world["org_b"], ["read", "write"])
    c = Client()
    url = f"{API}/applications/{app_a.pk}"
    before = state_of(app_a)
    for response in (
        c.get(url, **bearer(token)),
        patch(
            c,
            url,
            {"service_description": "Hijacked with another provider's key."},
            **bearer(token),
        ),
        post(c, f"{url}/withdraw", **bearer(token)),
        c.get(f"{url}/documents/{app_a.documents.first().pk}", **bearer(token)),
        post(c, f"{API}/applications", {"organisation_id": world["org_a"].pk}, **bearer(token)),
        c.get(f"{API}/organisations/{world['org_a'].pk}/api-keys", **bearer(token)),
    ):
        assert_error(response, 404, "not_found")
    assert state_of(app_a) == before
    assert c.get(f"{API}/applications", **bearer(token)).json()["count"] == 0


def test_a_key_for_one_organisation_does_not_carry_its_creators_other_memberships(
    world: dict[str, Any], app_a: Application
) -> None:
    from cvas.accounts.services import membership_set

    membership_set(actor=SYSTEM, organisation=world["org_b"], user=world["member_a"], role="member")
    _, token = api_key_for(world["member_a"], world["org_b"], ["read"])
    assert_error(Client().get(f"{API}/applications/{app_a.pk}", **bearer(token)), 404, "not_found")


def test_a_staff_members_organisation_key_does_not_carry_staff_powers(
    world: dict[str, Any], submitted_a: Application
) -> None:
    from cvas.accounts.services import membership_set

    membership_set(actor=SYSTEM, organisation=world["org_b"], user=world["officer"], role="member")
    _, token = api_key_for(world["officer"], world["org_b"], ["read", "write"])
    c = Client()
    assert_error(c.get(f"{API}/applications/{submitted_a.pk}", **bearer(token)), 404, "not_found")
    assert_error(
        post(c, f"{API}/applications/{submitted_a.pk}/take", **bearer(token)), 404, "not_found"
    )
    assert state_of(submitted_a)[0] == S.SUBMITTED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # checksum broken
        lambda t: (
            t[:20] + ("x" if t[20] != "x" else "y") + t[21:]
        ),  # secret changed, checksum no longer holds
        lambda t: t.upper(),
        lambda t: t[:-3],
        lambda t: t.replace("cvas_", "cvaz_", 1),
        lambda t: t + "0",
    ],
)
def test_a_tampered_key_is_refused_with_401(world: dict[str, Any], tamper: Any) -> None:
    key, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    forged = tamper(token)
    assert forged != token
    assert_error(Client().get(f"{API}/applications", **bearer(forged)), 401, "invalid_api_key")
    key.refresh_from_db()
    assert key.last_used_at is None


def test_a_well_formed_key_with_a_known_prefix_but_another_secret_is_refused(
    world: dict[str, Any],
) -> None:
    key, _ = api_key_for(world["member_a"], world["org_a"], ["read"])
    body = f"cvas_{key.prefix}_{'A' * keys.SECRET_LEN}"
    forged = body + keys._checksum(body)
    assert keys.parse(forged) == key.prefix  # the checksum holds: only the stored hash can tell
    assert_error(Client().get(f"{API}/applications", **bearer(forged)), 401, "invalid_api_key")


@pytest.mark.parametrize(
    "header", ["Basic YTpi", "Token abc", "Bearer", "Bearer ", "bearer not-a-key"]
)
def test_a_malformed_authorization_header_is_401_not_a_silent_anonymous_read(
    world: dict[str, Any], header: str
) -> None:
    assert_error(Client().get(f"{API}/applications", HTTP_AUTHORIZATION=header), 401)


def test_last_use_of_a_key_is_recorded(world: dict[str, Any], client_for: Any) -> None:
    key, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    assert key.last_used_at is None
    start = timezone.now()
    assert Client().get(f"{API}/applications", **bearer(token)).status_code == 200
    end = timezone.now()
    key.refresh_from_db()
    assert key.last_used_at is not None and start <= key.last_used_at <= end
    listed = (
        client_for(world["member_a"])
        .get(f"{API}/organisations/{world['org_a'].pk}/api-keys")
        .json()
    )
    assert listed[0]["last_used_at"] is not None


def test_keys_are_created_only_from_a_session_not_with_another_key(world: dict[str, Any]) -> None:
    _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])
    response = create_key(Client(), world["org_a"].pk, ["read", "write"], **bearer(token))
    error = assert_error(response, 403, "forbidden")
    assert "session" in error["message"]
    assert ApiKey.objects.count() == 1


def test_a_member_creates_keys_only_for_their_own_organisation(
    world: dict[str, Any], client_for: Any
) -> None:
    assert_error(
        create_key(client_for(world["member_b"]), world["org_a"].pk, ["read"]), 404, "not_found"
    )
    assert_error(create_key(client_for(world["member_a"]), 10**30, ["read"]), 404, "not_found")
    assert not ApiKey.objects.exists()


def test_another_organisation_cannot_see_or_revoke_a_key(
    world: dict[str, Any], client_for: Any
) -> None:
    key, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    intruder = client_for(world["member_b"])
    assert_error(
        intruder.get(f"{API}/organisations/{world['org_a'].pk}/api-keys"), 404, "not_found"
    )
    assert_error(intruder.delete(f"{API}/api-keys/{key.pk}"), 404, "not_found")
    key.refresh_from_db()
    assert key.revoked_at is None
    assert Client().get(f"{API}/applications", **bearer(token)).status_code == 200


def test_a_key_stops_working_when_its_creator_leaves_the_organisation(
    world: dict[str, Any],
) -> None:
    _, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    membership_remove(
        actor=SYSTEM,
        membership=Membership.objects.get(user=world["member_a"], organisation=world["org_a"]),
    )
    assert_error(Client().get(f"{API}/applications", **bearer(token)), 401)


def test_a_key_stops_working_when_its_creator_is_deactivated(world: dict[str, Any]) -> None:
    _, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    world["member_a"].is_active = False
    world["member_a"].save(update_fields=["is_active"])
    assert_error(Client().get(f"{API}/applications", **bearer(token)), 401)


def test_a_key_wins_over_a_session_on_the_same_request(
    world: dict[str, Any], app_a: Application, client_for: Any
) -> None:
    """The key's organisation decides, not the signed-in user's: member B's session with A's read key reads A."""
    _, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    c = client_for(world["member_b"])
    assert c.get(f"{API}/applications/{app_a.pk}", **bearer(token)).status_code == 200
    assert_error(
        patch(
            c,
            f"{API}/applications/{app_a.pk}",
            {"fee_payment_reference": "PSID-9"},
            **bearer(token),
        ),
        403,
        "insufficient_scope",
    )
    assert (
        COMPLETE["fee_payment_reference"]
        == Application.objects.get(pk=app_a.pk).fee_payment_reference
    )
