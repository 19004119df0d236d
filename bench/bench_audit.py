"""The cost of the tamper-evident audit trail: appending a chained event against a plain insert of
the same row into the same table, one transaction each (as a service writes it)."""

from __future__ import annotations

from bench.harness import Figure, best_of

N = 2000


def run() -> list[Figure]:
    from django.db import connection, transaction
    from django.utils import timezone

    from cvas.audit.models import AuditEvent
    from cvas.audit.services import audit_record
    from cvas.core.actors import Actor

    actor = Actor.system("bench")
    payload = {
        "state": "submitted",
        "reference": "APP-2026-000001",
        "brands": ["Falcon Shield VPN"],
    }

    def chained() -> None:
        for i in range(N):
            with transaction.atomic():
                audit_record(
                    actor=actor,
                    action="bench.event",
                    obj="bench.object",
                    object_id=i,
                    after=payload,
                )

    seq = [10_000_000]

    def plain() -> None:
        now = timezone.now()
        for i in range(N):
            seq[0] += 1
            with transaction.atomic():
                AuditEvent.objects.create(
                    seq=seq[0],
                    occurred_at=now,
                    actor_label="bench",
                    via="system",
                    action="bench.event",
                    object_type="bench.object",
                    object_id=str(i),
                    after=payload,
                    prev_hash="0" * 64,
                    hash="0" * 64,
                )

    ours = best_of(chained, 2)
    ref = best_of(plain, 2)
    vendor = connection.vendor
    return [
        Figure(
            name=f"audit append with hash chain ({vendor})",
            value=N / ours,
            unit="events/s",
            reference_name="plain insert of the same row",
            reference=N / ref,
            note="the chain adds a locked read and an update of its head row, and an HMAC, to each insert",
        )
    ]
