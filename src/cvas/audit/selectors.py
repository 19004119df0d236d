"""Reading and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from cvas.audit.chain import GENESIS, event_hash
from cvas.audit.models import AuditEvent, AuditHead


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_seq: int
    last_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def audit_head() -> tuple[int, str]:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


def _iter_events(batch: int = 2000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def audit_verify(*, expected_head: tuple[int, str] | None = None) -> ChainReport:
    """Walk the chain from the first entry; stop at the first entry that does not hold."""
    prev_seq, prev_hash, checked = 0, GENESIS, 0
    for event in _iter_events():
        if event.seq != prev_seq + 1:
            return ChainReport(
                checked,
                prev_seq,
                prev_hash,
                ChainProblem(
                    prev_seq + 1, f"missing (the next entry present is {event.seq}); deleted?"
                ),
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                checked,
                prev_seq,
                prev_hash,
                ChainProblem(
                    event.seq, "does not link to the entry before it; inserted or reordered?"
                ),
            )
        recomputed = event_hash(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor_user_id=event.actor_user_id,
            actor_label=event.actor_label,
            via=event.via,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            object_repr=event.object_repr,
            before=event.before,
            after=event.after,
            reason=event.reason,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return ChainReport(
                checked,
                prev_seq,
                prev_hash,
                ChainProblem(event.seq, "its content does not match its hash; edited?"),
            )
        prev_seq, prev_hash, checked = event.seq, event.hash, checked + 1

    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.hash) != (prev_seq, prev_hash):
        return ChainReport(
            checked,
            prev_seq,
            prev_hash,
            ChainProblem(
                prev_seq + 1 if head.seq > prev_seq else head.seq,
                f"the chain ends at {prev_seq} but its head record says {head.seq}; truncated?",
            ),
        )
    if expected_head is not None:
        seq, digest = expected_head
        if prev_seq < seq:
            return ChainReport(
                checked,
                prev_seq,
                prev_hash,
                ChainProblem(
                    prev_seq + 1,
                    f"missing: the chain ends at {prev_seq}, the known head is {seq}; truncated",
                ),
            )
        found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if found != digest:
            return ChainReport(
                checked,
                prev_seq,
                prev_hash,
                ChainProblem(seq, "its hash differs from the known head; rewritten?"),
            )
    return ChainReport(checked, prev_seq, prev_hash, None)


def audit_event_list(
    *,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all().order_by("-seq")
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action=action)
    return qs
