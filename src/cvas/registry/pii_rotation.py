"""Re-encrypting personal data under the current key after a rotation, in batches, each its own
transaction (safe to stop and run again: a value already under the current key is left alone)."""

from __future__ import annotations

from django.db import models, transaction

from cvas.accounts.models import TotpDevice
from cvas.audit.services import audit_record
from cvas.core import pii
from cvas.core.actors import Actor
from cvas.registry import validation
from cvas.registry.models import EndpointRegistration, PortalRequest, Subscriber

# model, column, how its purpose is found
COLUMNS: list[tuple[type[models.Model], str, str | None]] = [
    (Subscriber, "name_encrypted", validation.P_NAME),
    (Subscriber, "identity_encrypted", None),  # purpose follows identity_kind
    (EndpointRegistration, "holder_name_encrypted", validation.P_NAME),
    (EndpointRegistration, "msisdn_encrypted", validation.P_MSISDN),
    (PortalRequest, "responsible_name_encrypted", validation.P_NAME),
    (PortalRequest, "responsible_cnic_encrypted", validation.P_CNIC),
    # Staff authenticators' keys (cvas.accounts.totp), encrypted with the same key.
    (TotpDevice, "secret_encrypted", "accounts.totp"),
]


def _purpose(obj: models.Model, fixed: str | None) -> str:
    if fixed is not None:
        return fixed
    return validation.identity_purpose(obj.identity_kind)  # type: ignore[attr-defined]


def status() -> dict[str, int]:
    out: dict[str, int] = {}
    for model, column, _ in COLUMNS:
        label = f"{model._meta.label_lower}.{column}"
        qs = model.objects.exclude(**{f"{column}__isnull": True}).values_list(column, flat=True)  # type: ignore[attr-defined]
        out[label] = sum(1 for blob in qs.iterator(chunk_size=5000) if not pii.is_current(blob))
    return out


def rotate(*, actor: Actor, batch: int = 2000) -> dict[str, int]:
    done: dict[str, int] = {}
    for model, column, fixed in COLUMNS:
        label = f"{model._meta.label_lower}.{column}"
        count = 0
        last = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update()  # type: ignore[attr-defined]
                    .filter(pk__gt=last)
                    .exclude(**{f"{column}__isnull": True})
                    .order_by("pk")[:batch]
                )
                if not rows:
                    break
                changed = []
                for obj in rows:
                    blob = getattr(obj, column)
                    if not pii.is_current(blob):
                        purpose = _purpose(obj, fixed)
                        setattr(
                            obj,
                            column,
                            pii.encrypt(pii.decrypt(blob, purpose=purpose), purpose=purpose),
                        )
                        changed.append(obj)
                if changed:
                    model.objects.bulk_update(changed, [column])  # type: ignore[attr-defined]
                count += len(changed)
                last = rows[-1].pk
        done[label] = count
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="pii.rotate",
            obj="registry.personal_data",
            after={
                "re_encrypted": done,
                "key_id": pii.key_id(pii.settings.PII_ENCRYPTION_KEY).hex(),
            },
        )
    return done
