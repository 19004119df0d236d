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

Requests through the legacy IP-registration portal are closed once decided (or withdrawn) and
none of the addresses they registered is still active or pending: their period runs from the
latest of the decision and those addresses' ends (or rejections). After it, the responsible
person's name and CNIC go as above, and the documents that are personal data (the copy of that
person's CNIC: PERSONAL_DOCUMENT_KINDS) are deleted from storage, with their uploaded file names;
each document's record (kind, size, SHA-256, uploader, date) stays, marked with when it was
erased. The request itself, its items, the ISP's verdicts, the decision, its reason and the fee
stay: that is the decision record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from cvas.audit.services import audit_record
from cvas.core import pii
from cvas.core.actors import Actor
from cvas.core.timeutil import PAKISTAN
from cvas.registry import validation
from cvas.registry.choices import (
    EndpointKind,
    EndpointStatus,
    HolderType,
    PortalDocumentKind,
    PortalState,
    SubscriberStatus,
)
from cvas.registry.models import (
    EndpointRegistration,
    PortalDocument,
    PortalItem,
    PortalRequest,
    Subscriber,
)

PURGED = bytes(32)
BATCH = 1000
# The portal documents that are personal data: erased with the responsible person's name and CNIC.
PERSONAL_DOCUMENT_KINDS = (PortalDocumentKind.RESPONSIBLE_CNIC,)


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


def _portal_requests_due(before: dt.date) -> Any:
    moment = dt.datetime.combine(before, dt.time.min, tzinfo=PAKISTAN)
    still_held = PortalItem.objects.filter(request=OuterRef("pk")).filter(
        Q(registration__status__in=[EndpointStatus.ACTIVE, EndpointStatus.PENDING])
        | Q(registration__status_changed_at__gte=moment)
    )
    documents_left = PortalDocument.objects.filter(
        request=OuterRef("pk"), kind__in=PERSONAL_DOCUMENT_KINDS, erased_at__isnull=True
    )
    return (
        PortalRequest.objects.filter(state__in=[PortalState.DECIDED, PortalState.WITHDRAWN])
        .alias(closed_at=Coalesce("decided_at", "submitted_at", "created_at"))
        .filter(closed_at__lt=moment)
        .exclude(Exists(still_held))
        .filter(~Q(responsible_cnic_hmac=PURGED) | Exists(documents_left))
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


def _purge_portal_requests(actor: Actor, before: dt.date) -> tuple[int, int]:
    requests = documents = 0
    while True:
        with transaction.atomic():
            rows = list(_portal_requests_due(before).select_for_update().order_by("pk")[:BATCH])
            if not rows:
                return requests, documents
            docs = list(
                PortalDocument.objects.select_for_update()
                .filter(request__in=rows, kind__in=PERSONAL_DOCUMENT_KINDS, erased_at__isnull=True)
                .order_by("pk")
            )
            now = timezone.now()
            for doc in docs:
                # Deleted before the rows are saved: should the transaction then fail, the file
                # is gone anyway and the next run finishes the records (deleting is idempotent).
                if doc.file:
                    doc.file.delete(save=False)
                doc.file = ""
                doc.original_name = ""
                doc.erased_at = now
            PortalDocument.objects.bulk_update(docs, ["file", "original_name", "erased_at"])
            for req in rows:
                req.responsible_name_encrypted = pii.encrypt("", purpose=validation.P_NAME)
                req.responsible_cnic_encrypted = pii.encrypt("", purpose=validation.P_CNIC)
                req.responsible_cnic_hmac = PURGED
            PortalRequest.objects.bulk_update(
                rows,
                [
                    "responsible_name_encrypted",
                    "responsible_cnic_encrypted",
                    "responsible_cnic_hmac",
                ],
            )
            audit_record(
                actor=actor,
                action="portal.personal_data_purge",
                obj="registry.portalrequest",
                after={
                    "references": [r.reference for r in rows],
                    "documents_deleted": [d.pk for d in docs],
                    "closed_before": before.isoformat(),
                    "retention_days": settings.CVAS_PERSONAL_DATA_RETENTION_DAYS,
                },
            )
            requests += len(rows)
            documents += len(docs)


def purge(*, actor: Actor, today: dt.date) -> dict[str, int]:
    before = cutoff(today)
    portal_requests, portal_documents = _purge_portal_requests(actor, before)
    return {
        "subscribers": _purge_subscribers(actor, before),
        "endpoints": _purge_endpoints(actor, before),
        "portal_requests": portal_requests,
        "portal_documents": portal_documents,
    }


def tick_purge_personal_data(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: erase the personal data of ended subscribers and registrations and of
    closed portal requests after the retention period."""
    from cvas.core.tick import StepResult

    done = purge(actor=actor, today=today)
    return StepResult(
        name="personal data retention",
        lines=[
            f"{done['subscribers']} ended subscriber(s) and {done['endpoints']} ended "
            f"registration(s) erased (ended before {cutoff(today)}; "
            f"retention {settings.CVAS_PERSONAL_DATA_RETENTION_DAYS} days)",
            f"{done['portal_requests']} closed portal request(s): responsible person's name and "
            f"CNIC erased, {done['portal_documents']} CNIC copy(ies) deleted",
        ],
    )
