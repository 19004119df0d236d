"""Reads of the back-office: the audit trail by date, officers, the age of queued applications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from cvas.accounts.choices import StaffRole
from cvas.accounts.models import User
from cvas.audit.models import AuditEvent
from cvas.audit.selectors import audit_event_list
from cvas.core.timeutil import PAKISTAN


def officers() -> QuerySet[User]:
    return User.objects.filter(
        staff_roles__role=StaffRole.LICENSING_OFFICER, is_active=True
    ).order_by("email")


def audit_events(
    *,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """The audit trail, newest first, filtered; dates are Pakistan dates, both ends included."""
    qs = audit_event_list(
        actor=actor or None,
        object_type=object_type or None,
        object_id=object_id or None,
        action=action or None,
    )
    if since:
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=PAKISTAN))
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=PAKISTAN)
        qs = qs.filter(occurred_at__lt=end)
    return qs


def changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """The fields an event changed, each with its value before and after."""
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    keys = sorted(set(b) | set(a))
    return [
        {"field": k, "before": b.get(k, ""), "after": a.get(k, ""), "changed": b.get(k) != a.get(k)}
        for k in keys
        if b.get(k) != a.get(k) or not (b and a)
    ]
