"""The audit trail: written with each change, chained with a keyed hash, and tamper-evident."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cvas.audit import triggers
from cvas.audit.chain import event_hash
from cvas.audit.models import AuditEvent
from cvas.audit.selectors import audit_head, audit_verify
from cvas.licensing import services
from tests.conftest import principal

pytestmark = pytest.mark.django_db


def _tamper(sql: str, params: list[Any]) -> None:
    """What an attacker with database access does: lift the append-only trigger and change rows."""
    with connection.cursor() as cur:
        triggers.remove(cur.execute, connection.vendor)
        cur.execute(sql, params)
        triggers.install(cur.execute, connection.vendor)


def _verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def test_every_workflow_step_writes_an_event_with_actor_before_and_after(
    world: dict[str, Any], complete_application: Any
) -> None:
    app = complete_application()
    services.application_submit(principal=principal(world["member_a"]), application=app)
    event = AuditEvent.objects.filter(action="application.submitted", object_id=str(app.pk)).get()
    assert event.actor_label == world["member_a"].email
    assert event.actor_user_id == world["member_a"].pk
    assert event.before["state"] == "draft"
    assert event.after["state"] == "submitted"
    assert _verify().startswith("audit chain intact")


def test_a_failed_change_leaves_no_event(world: dict[str, Any]) -> None:
    before = AuditEvent.objects.count()
    app = services.application_create(
        principal=principal(world["member_a"]), organisation=world["org_a"], data={}
    )
    after_create = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - incomplete: refused
        services.application_submit(principal=principal(world["member_a"]), application=app)
    assert AuditEvent.objects.count() == after_create > before


def test_the_database_refuses_updates_and_deletes_of_events(seeded: Any) -> None:
    event = AuditEvent.objects.order_by("seq").first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=event.seq).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=event.seq).delete()


def test_verify_detects_an_edited_entry(seeded: Any) -> None:
    _tamper("UPDATE audit_auditevent SET actor_label = %s WHERE seq = %s", ["someone-else", 5])
    with pytest.raises(CommandError, match="audit entry 5: its content does not match its hash"):
        _verify()


def test_verify_detects_a_deleted_entry(seeded: Any) -> None:
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [7])
    with pytest.raises(CommandError, match="audit entry 7: missing"):
        _verify()


def test_verify_detects_an_inserted_entry_even_with_renumbering_and_rehashing_without_the_key(
    seeded: Any,
) -> None:
    # The attacker shifts entries 4.. up by one and inserts a forged entry 4, recomputing plain SHA-256
    # hashes: without AUDIT_HMAC_KEY the forged hashes cannot match.
    import hashlib

    rows = list(
        AuditEvent.objects.filter(seq__gte=4).order_by("-seq").values_list("seq", flat=True)
    )
    for seq in rows:
        _tamper("UPDATE audit_auditevent SET seq = seq + 1 WHERE seq = %s", [seq])
    prev = AuditEvent.objects.get(seq=3).hash
    forged = hashlib.sha256(b"forged").hexdigest()
    _tamper(
        "INSERT INTO audit_auditevent (seq, occurred_at, actor_label, via, action, object_type, object_id, object_repr, "
        "reason, prev_hash, hash) VALUES (%s, CURRENT_TIMESTAMP, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [4, "intruder", "web", "licence.issue", "licensing.licence", "99", "", "", prev, forged],
    )
    with pytest.raises(CommandError, match="audit entry 4"):
        _verify()


def test_verify_detects_a_forged_entry_hashed_with_the_wrong_key(
    seeded: Any, settings: Any
) -> None:
    head_seq, head_hash = audit_head()
    real_key = settings.AUDIT_HMAC_KEY
    settings.AUDIT_HMAC_KEY = b"\x00" * 32
    from django.utils import timezone

    moment = timezone.now()
    fields = dict(
        seq=head_seq + 1,
        occurred_at=moment,
        actor_user_id=None,
        actor_label="intruder",
        via="web",
        action="licence.issue",
        object_type="licensing.licence",
        object_id="1",
        object_repr="",
        before=None,
        after=None,
        reason="",
        prev_hash=head_hash,
    )
    forged = event_hash(**fields)
    settings.AUDIT_HMAC_KEY = real_key
    AuditEvent.objects.create(hash=forged, **fields)
    report = audit_verify()
    assert not report.ok and report.problem is not None
    assert report.problem.seq == head_seq + 1


def test_verify_with_a_known_head_detects_a_truncated_tail(seeded: Any) -> None:
    from io import StringIO

    out = StringIO()
    call_command("audit", "head", stdout=out)
    head = out.getvalue().strip()
    seq = int(head.split(":")[0])
    assert _verify("--head", head).startswith("audit chain intact")
    # Remove the last two entries and rewind the head record, as a careful attacker would.
    _tamper("DELETE FROM audit_auditevent WHERE seq > %s", [seq - 2])
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_audithead SET seq = %s, hash = %s", [last.seq, last.hash])
    assert _verify().startswith(
        "audit chain intact"
    )  # without the known head, the cut is invisible
    with pytest.raises(CommandError, match="truncated"):
        _verify("--head", head)


def test_verify_notices_a_tail_cut_that_left_the_head_record(seeded: Any) -> None:
    _tamper("DELETE FROM audit_auditevent WHERE seq = (SELECT MAX(seq) FROM audit_auditevent)", [])
    with pytest.raises(CommandError, match="truncated"):
        _verify()


def test_verify_rejects_a_malformed_head_argument(seeded: Any) -> None:
    with pytest.raises(CommandError, match="SEQ:HASH"):
        _verify("--head", "12:nothex")


def test_masked_fields_never_reach_the_trail(world: dict[str, Any]) -> None:
    from cvas.accounts.models import ApiKey
    from tests.conftest import api_key_for

    key, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    event = AuditEvent.objects.get(action="api_key.create", object_id=str(key.pk))
    assert event.after["secret_hash"] == "***"
    dump = str(list(AuditEvent.objects.values()))
    assert token not in dump and ApiKey.objects.get(pk=key.pk).secret_hash not in dump
