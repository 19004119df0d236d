"""The one place where returns meet the subscriber registry (issue 3, app `cvas.registry`).

Where the registry holds subscribers for a licence, a return's figures are compared with it and any
difference is flagged (never refused). While the registry has no subscriber model there is nothing
to compare: the function answers None and returns carry no registry flag. If the registry's model
changes, this function is the only thing to rewire.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Count, Q

FIELDS = {"licence", "category", "start_date", "end_date"}


def registry_subscriber_counts(*, licence_id: int, on: dt.date) -> dict[str, int] | None:
    """The registry's subscribers of this licence in service on `on`, by category; None where the
    registry holds none for the licence (or has no subscribers at all yet).

    In service on a day: started on or before it, and not ended (`end_date` is the first day
    without service, as the registry's daily run treats it)."""
    try:
        subscriber = apps.get_model("registry", "Subscriber")
    except LookupError:
        return None
    if not {f.name for f in subscriber._meta.get_fields()} >= FIELDS:
        return None
    held = subscriber.objects.filter(licence_id=licence_id)
    if not held.exists():
        return None
    rows = (
        held.filter(start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=on))
        .values("category")
        .annotate(n=Count("pk"))
    )
    return {str(r["category"]): int(r["n"]) for r in rows}
