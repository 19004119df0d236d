"""Queueing work for the worker. A job enqueued inside a transaction is committed with it."""

from __future__ import annotations

from cvas.jobs.tasks import send_notification


def notify(*, recipients: list[str], subject: str, body: str) -> str | None:
    """Queue an e-mail; returns the job id (None when there is no one to tell)."""
    clean = sorted({r.strip().lower() for r in recipients if r and r.strip()})
    if not clean:
        return None
    result = send_notification.enqueue(subject=subject, body=body, recipients=clean)
    return str(result.id)
