"""Writing to the audit trail. Every service that changes data calls `audit_record` in its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.utils import IntegrityError

from cvas.audit.chain import GENESIS, event_hash, normalise
from cvas.audit.models import AuditEvent, AuditHead
from cvas.core.actors import Actor
from cvas.core.timeutil import now

# Field names whose values never enter the trail in clear (personal data, secrets).
MASKED_FIELDS = frozenset(
    {"password", "secret_hash", "cnic", "mobile", "msisdn", "name_encrypted", "cnic_encrypted"}
    # The registry's personal data (cvas.registry): ciphertexts and their lookup hashes.
    | {
        "ntn",
        "name_hmac",
        "identity_encrypted",
        "identity_hmac",
        "holder_name_encrypted",
        "msisdn_encrypted",
        "msisdn_hmac",
        "responsible_name_encrypted",
        "responsible_cnic_encrypted",
        "responsible_cnic_hmac",
        "content_hash",
    }
)
MASK = "***"


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The record's field values as JSON-ready data, with personal data masked."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        name = field.attname
        if fields is not None and field.name not in fields and name not in fields:
            continue
        if field.name in MASKED_FIELDS or name in MASKED_FIELDS:
            data[field.name] = MASK
            continue
        data[field.name] = getattr(instance, name)
    return data


def _object_type(obj: models.Model | type[models.Model] | str) -> str:
    if isinstance(obj, str):
        return obj
    return obj._meta.label_lower


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | str,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The head row is locked first, so concurrent writers append one after another and the
    chain never forks; if the caller's transaction rolls back, so does its event.
    """
    if isinstance(obj, models.Model):
        object_id = obj.pk if object_id is None else object_id
        object_repr = str(obj)[:255]
    else:
        object_repr = ""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            try:
                with transaction.atomic():
                    head = AuditHead.objects.create(pk=1, seq=0, hash=GENESIS)
            except IntegrityError:
                head = AuditHead.objects.select_for_update().get(pk=1)
        seq = head.seq + 1
        fields: dict[str, Any] = {
            "seq": seq,
            "occurred_at": now(),
            "actor_user_id": actor.user.pk if actor.user is not None else None,
            "actor_label": actor.label[:255],
            "via": actor.via,
            "action": action,
            "object_type": _object_type(obj),
            "object_id": "" if object_id is None else str(object_id),
            "object_repr": object_repr,
            "before": normalise(before),
            "after": normalise(after),
            "reason": reason,
            "prev_hash": head.hash,
        }
        digest = event_hash(**fields)
        event = AuditEvent.objects.create(hash=digest, **fields)
        head.seq = seq
        head.hash = digest
        head.save(update_fields=["seq", "hash"])
    return event


def audit_change(
    *,
    actor: Actor,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None,
    reason: str = "",
    fields: list[str] | None = None,
) -> AuditEvent:
    """Record a change with `before` taken earlier by `snapshot` and `after` taken now."""
    return audit_record(
        actor=actor,
        action=action,
        obj=instance,
        before=before,
        after=snapshot(instance, fields),
        reason=reason,
    )
