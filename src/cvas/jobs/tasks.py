"""Background jobs run by `cvas worker` from the database queue."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def send_notification(*, subject: str, body: str, recipients: list[str]) -> int:
    """Send one e-mail; the job's result is the number of messages sent."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
