"""The keyed hash that links each audit event to the one before it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

GENESIS = "0" * 64


def normalise(value: Any) -> Any:
    """What a JSON column gives back: the value we hash must equal the value we later read."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    seq: int,
    occurred_at: dt.datetime,
    actor_user_id: int | None,
    actor_label: str,
    via: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    before: Any,
    after: Any,
    reason: str,
    prev_hash: str,
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "occurred_at": timestamp(occurred_at),
            "actor_user_id": actor_user_id,
            "actor_label": actor_label,
            "via": via,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "object_repr": object_repr,
            "before": before,
            "after": after,
            "reason": reason,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(settings.AUDIT_HMAC_KEY, body.encode(), hashlib.sha256).hexdigest()
