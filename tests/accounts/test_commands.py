"""Account commands: createsuperuser and grant-role, with the actor recorded."""

from __future__ import annotations

import getpass
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cvas.accounts.models import Membership, StaffRoleGrant, User
from cvas.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createsuperuser_makes_an_administrator_and_audits_it(monkeypatch: Any) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough password 42")
    call_command(
        "createsuperuser", "--noinput", "--email", "root@regulator.test", stdout=StringIO()
    )
    user = User.objects.get(email="root@regulator.test")
    assert StaffRoleGrant.objects.filter(user=user, role="administrator").exists()
    event = AuditEvent.objects.get(
        action="role.grant", object_id=str(StaffRoleGrant.objects.get(user=user).pk)
    )
    assert event.actor_label == f"os:{getpass.getuser()}"


def test_grant_role_records_the_named_actor_and_is_idempotent(world: dict[str, Any]) -> None:
    user = User.objects.create_user("new.officer@regulator.test", "pw-123456789")
    out = _run("grant-role", user.email, "licensing_officer", "--actor", world["admin"].email)
    assert "granted" in out
    event = AuditEvent.objects.filter(action="role.grant").latest("seq")
    assert event.actor_label == world["admin"].email and event.via == "command"
    assert "already held" in _run("grant-role", user.email, "licensing_officer")


def test_grant_role_checks_the_actors_own_role(world: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="administrator"):
        _run("grant-role", world["member_b"].email, "auditor", "--actor", world["member_a"].email)
    assert not StaffRoleGrant.objects.filter(user=world["member_b"], role="auditor").exists()


def test_grant_role_in_an_organisation(world: dict[str, Any]) -> None:
    user = User.objects.create_user("staff@provider-a.test", "pw-123456789")
    _run("grant-role", user.email, "organisation_member", "--organisation", "provider a pvt ltd")
    assert Membership.objects.get(user=user).organisation == world["org_a"]
    with pytest.raises(CommandError, match="not a network operator"):
        _run("grant-role", user.email, "network_operator", "--organisation", "Provider A Pvt Ltd")
    _run("grant-role", user.email, "network_operator", "--organisation", "Indus Fibre ISP")
    with pytest.raises(CommandError, match="needs --organisation"):
        _run("grant-role", user.email, "organisation_member")


def test_grant_role_names_an_unknown_account_or_organisation(world: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="no account"):
        _run("grant-role", "ghost@nowhere.test", "auditor")
    with pytest.raises(CommandError, match="no such organisation"):
        _run(
            "grant-role",
            world["member_a"].email,
            "organisation_member",
            "--organisation",
            "Nope Ltd",
        )
