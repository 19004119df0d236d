"""Retention: personal data of ended subscribers is erased once CVAS_PERSONAL_DATA_RETENTION_DAYS
have passed since the end (a `cvas tick` step; safe to repeat, and a missed day is caught up).

What goes: the subscriber's identity number (CNIC or NTN) and an individual's name; and, for
endpoint registrations ended or rejected as long ago, the mobile number and an individual
holder's name. Each value is replaced by the encryption of an empty string and its lookup hash by
`PURGED` (all zero bytes, which no real HMAC equals), so the columns' constraints still hold and
exact lookups no longer find it. What stays is what the audit and the returns need: the record,
its licensee reference, category, type, dates and status history, the prefix of an address
registration, and the audit trail (which never held the values in clear). Each batch appends one
audit event naming the records it erased.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cvas.audit.services import audit_record
from cvas.core import pii
from cvas.core.actors import Actor
from cvas.core.timeutil import PAKISTAN
from cvas.registry import validation
from cvas.registry.choices import EndpointKind, EndpointStatus, HolderType, SubscriberStatus
from cvas.registry.models import EndpointRegistration, Subscriber

PURGED = bytes(32)
BATCH = 1000


def cutoff(today: dt.date) -> dt.date:
    """Records that ended before this day have had their period."""
    return today - dt.timedelta(days=settings.CVAS_PERSONAL_DATA_RETENTION_DAYS)


def _subscribers_due(before: dt.date) -> Any:
    return Subscriber.objects.filter(status=SubscriberStatus.ENDED, end_date__lt=before).exclude(
        identity_hmac=PURGED
    )


def _endpoints_due(before: dt.date) -> Any:
    moment = dt.datetime.combine(before, dt.time.min, tzinfo=PAKISTAN)
    personal = Q(kind=EndpointKind.MSISDN) | Q(
        holder_type=HolderType.INDIVIDUAL, holder_name_encrypted__isnull=False
    )
    return (
        EndpointRegistration.objects.filter(
            status__in=[EndpointStatus.ENDED, EndpointStatus.REJECTED],
            status_changed_at__lt=moment,
        )
        .filter(personal)
        .exclude(msisdn_hmac=PURGED)
    )


def _purge_subscribers(actor: Actor, before: dt.date) -> int:
    total = 0
    while True:
        with transaction.atomic():
            rows = list(_subscribers_due(before).select_for_update().order_by("pk")[:BATCH])
            if not rows:
                return total
            now = timezone.now()
            for sub in rows:
                sub.identity_encrypted = pii.encrypt(
                    "", purpose=validation.identity_purpose(sub.identity_kind)
                )
                sub.identity_hmac = PURGED
                if sub.subscriber_type == HolderType.INDIVIDUAL:
                    sub.name_encrypted = pii.encrypt("", purpose=validation.P_NAME)
                    sub.name_hmac = None
                sub.updated_at = now
            Subscriber.objects.bulk_update(
                rows,
                [
                    "identity_encrypted",
                    "identity_hmac",
                    "name_encrypted",
                    "name_hmac",
                    "updated_at",
                ],
            )
            audit_record(
                actor=actor,
                action="subscriber.personal_data_purge",
                obj="registry.subscriber",
                after={
                    "ids": [s.pk for s in rows],
                    "ended_before": before.isoformat(),
                    "retention_days": settings.CVAS_PERSONAL_DATA_RETENTION_DAYS,
                },
            )
            total += len(rows)


def _purge_endpoints(actor: Actor, before: dt.date) -> int:
    total = 0
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                _endpoints_due(before)
                .filter(pk__gt=last)
                .select_for_update()
                .order_by("pk")[:BATCH]
            )
            if not rows:
                return total
            changed = []
            for reg in rows:
                last = reg.pk
                touched = False
                if reg.kind == EndpointKind.MSISDN:
                    reg.msisdn_encrypted = pii.encrypt("", purpose=validation.P_MSISDN)
                    reg.msisdn_hmac = PURGED
                    touched = True
                if (
                    reg.holder_type == HolderType.INDIVIDUAL
                    and reg.holder_name_encrypted is not None
                ):
                    reg.holder_name_encrypted = None
                    touched = True
                if touched:
                    changed.append(reg)
            if changed:
                EndpointRegistration.objects.bulk_update(
                    changed, ["msisdn_encrypted", "msisdn_hmac", "holder_name_encrypted"]
                )
                audit_record(
                    actor=actor,
                    action="endpoint.personal_data_purge",
                    obj="registry.endpointregistration",
                    after={
                        "handles": [r.handle for r in changed],
                        "ended_before": before.isoformat(),
                        "retention_days": settings.CVAS_PERSONAL_DATA_RETENTION_DAYS,
                    },
                )
                total += len(changed)


def purge(*, actor: Actor, today: dt.date) -> dict[str, int]:
    before = cutoff(today)
    return {
        "subscribers": _purge_subscribers(actor, before),
        "endpoints": _purge_endpoints(actor, before),
    }


def tick_purge_personal_data(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: erase ended subscribers' personal data after the retention period."""
    from cvas.core.tick import StepResult

    done = purge(actor=actor, today=today)
    return StepResult(
        name="personal data retention",
        lines=[
            f"{done['subscribers']} ended subscriber(s) and {done['endpoints']} ended "
            f"registration(s) erased (ended before {cutoff(today)}; "
            f"retention {settings.CVAS_PERSONAL_DATA_RETENTION_DAYS} days)"
        ],
    )
