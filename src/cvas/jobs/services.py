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


def job_mark_failed(job_id: str, error: BaseException) -> bool:
    """Record as failed a job left running by a worker that died (the database queue only: its
    worker never looks at a running job again). False when it is not running there."""
    import uuid

    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return False
    from django_tasks_db.models import DBTaskResult

    try:
        uuid.UUID(job_id)
    except ValueError:
        return False
    result = DBTaskResult.objects.filter(pk=job_id, status="RUNNING").first()
    if result is None:
        return False
    result.set_failed(error)
    return True
