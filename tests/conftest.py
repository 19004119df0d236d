"""Shared fixtures: fast password hashing, and factories for the records most tests need."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cvas.accounts.choices import MembershipRole, OrganisationKind, StaffRole
from cvas.accounts.models import ApiKey, Organisation, User
from cvas.accounts.principal import Principal
from cvas.accounts.services import api_key_create, membership_set, organisation_create, role_grant
from cvas.core.actors import Actor
from cvas.licensing.choices import Declaration, DocumentKind
from cvas.licensing.models import Application
from cvas.licensing.services import document_add, seed_public_record

SYSTEM = Actor.system("tests")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def pdf_upload(name: str = "certificate.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def seeded(db: Any) -> dict[str, int]:
    return seed_public_record(actor=SYSTEM)


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        email: str | None = None,
        *,
        roles: tuple[str, ...] = (),
        password: str = "correct horse battery",
    ) -> User:
        user = User.objects.create_user(
            email=email or f"user{next(counter)}@example.test", password=password
        )
        for role in roles:
            role_grant(actor=SYSTEM, user=user, role=role)
        return user

    return make


@pytest.fixture
def make_org(db: Any) -> Callable[..., Organisation]:
    counter = iter(range(1, 10_000))

    def make(
        name: str | None = None,
        *,
        kind: str = OrganisationKind.COMPANY,
        members: tuple[User, ...] = (),
        managers: tuple[User, ...] = (),
    ) -> Organisation:
        org = organisation_create(
            actor=SYSTEM,
            name=name or f"Provider {next(counter)} Pvt Ltd",
            kind=kind,
            contact_email="contact@provider.test",
        )
        for u in members:
            membership_set(actor=SYSTEM, organisation=org, user=u, role=MembershipRole.MEMBER)
        for u in managers:
            membership_set(actor=SYSTEM, organisation=org, user=u, role=MembershipRole.MANAGER)
        return org

    return make


@pytest.fixture
def world(
    db: Any, seeded: Any, make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> dict[str, Any]:
    """Two provider organisations, a network operator, and one account per role."""
    w: dict[str, Any] = {}
    w["member_a"] = make_user("a@provider-a.test")
    w["member_b"] = make_user("b@provider-b.test")
    w["operator"] = make_user("noc@isp.test")
    w["org_a"] = make_org("Provider A Pvt Ltd", managers=(w["member_a"],))
    w["org_b"] = make_org("Provider B Pvt Ltd", managers=(w["member_b"],))
    w["isp"] = make_org(
        "Indus Fibre ISP", kind=OrganisationKind.NETWORK_OPERATOR, members=(w["operator"],)
    )
    w["officer"] = make_user("officer@regulator.test", roles=(StaffRole.LICENSING_OFFICER,))
    w["compliance"] = make_user("compliance@regulator.test", roles=(StaffRole.COMPLIANCE_OFFICER,))
    w["admin"] = make_user("admin@regulator.test", roles=(StaffRole.ADMINISTRATOR,))
    w["auditor"] = make_user("auditor@regulator.test", roles=(StaffRole.AUDITOR,))
    return w


def principal(user: User) -> Principal:
    return Principal.for_user(user)


COMPLETE = {
    "service_description": "A VPN service for businesses with gateways in Karachi and Lahore.",
    "brands": [{"name": "Falcon Shield VPN", "websites": ["falconshield.example"]}],
    "gateway_prefixes": ["39.32.0.0/24", "2400:ca00::/48"],
    "declarations": {d.value: True for d in Declaration},
    "fee_payment_reference": "PSID-2026-000123",
}


@pytest.fixture
def complete_application(world: dict[str, Any]) -> Callable[..., Application]:
    from cvas.licensing.services import application_create

    def make(
        org: Organisation | None = None, user: User | None = None, **overrides: Any
    ) -> Application:
        org = org or world["org_a"]
        user = user or world["member_a"]
        data = {**COMPLETE, **overrides}
        app = application_create(principal=principal(user), organisation=org, data=data)
        for kind in (DocumentKind.INCORPORATION_CERTIFICATE, DocumentKind.SECURITY_POLICY):
            document_add(principal=principal(user), application=app, kind=kind, upload=pdf_upload())
        return app

    return make


def api_key_for(
    user: User, org: Organisation | None, scopes: list[str], days: int = 30
) -> tuple[ApiKey, str]:
    from django.utils import timezone

    return api_key_create(
        principal=principal(user),
        name="test key",
        scopes=scopes,
        expires_at=timezone.now() + dt.timedelta(days=days),
        organisation=org,
    )


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


_ = io


@pytest.fixture(autouse=True, scope="session")
def _flush_lifts_audit_triggers() -> Any:
    """Transactional tests end with `flush`, which the append-only audit triggers would refuse on
    SQLite: lift them for the flush alone, in the test process only."""
    from django.core.management.commands import flush
    from django.db import connections

    from cvas.audit import triggers

    original = flush.Command.handle

    def handle(self: Any, **options: Any) -> Any:
        connection = connections[options.get("database", "default")]
        with connection.cursor() as cur:
            triggers.remove(cur.execute, connection.vendor)
        try:
            return original(self, **options)
        finally:
            with connection.cursor() as cur:
                triggers.install(cur.execute, connection.vendor)

    flush.Command.handle = handle  # type: ignore[method-assign]
    yield
    flush.Command.handle = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings: Any) -> None:
    """Rate limits would make tests depend on each other (counters outlive a test's transaction
    in the cache table); tests of the limits themselves set their own."""
    settings.CVAS_RATE_LIMITS = {
        name: {"anonymous": "1000000/m", "authenticated": None}
        for name in settings.CVAS_RATE_LIMITS
    }


@pytest.fixture(autouse=True)
def _lookup_index_of_this_test(settings: Any) -> Iterator[None]:
    """Each test's lookup index is built from its own database and polls on every use, without
    the background thread (tests of the thread start it themselves)."""
    from cvas.lookup.runtime import RUNTIME

    settings.LOOKUP_BACKGROUND = False
    settings.LOOKUP_POLL_SECONDS = 0
    RUNTIME.reset()
    yield
    RUNTIME.stop()
    RUNTIME.reset()


@pytest.fixture(autouse=True, scope="session")
def _force_login_passes_the_second_factor() -> Any:
    """`Client.force_login` skips signing in altogether; for staff that includes the second factor
    (tests of the second factor itself sign in through the pages)."""
    from cvas.accounts import totp

    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        session[totp.SESSION_KEY] = {"user": user.pk, "at": 0}
        session.save()

    Client.force_login = force_login  # type: ignore[method-assign]
    yield
    Client.force_login = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _lookup_exports_in_tmp(settings: Any, tmp_path: Any) -> None:
    """`cvas tick` publishes the lookup exports (cvas.lookup): into each test's own directory."""
    settings.LOOKUP_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture(scope="session", autouse=True)
def _no_database_session_left_behind(
    django_db_setup: Any, django_db_blocker: Any
) -> Iterator[None]:
    """A killed `cvas import` leaves the server finishing its statement before it notices; a
    thread may still hold a connection. End such sessions (naming them) so the test database can
    be dropped, rather than leaving it behind for the next run to trip over."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 80) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        left = cursor.fetchall()
        for pid, *what in left:
            warnings.warn(f"a database session was left open: {what}; ended", stacklevel=1)
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
