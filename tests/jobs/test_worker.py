"""The background worker: a queued job runs in `cvas worker`, and its state and errors can be read back."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from cvas.core.errors import NotFound
from cvas.jobs.selectors import job_get
from cvas.jobs.services import notify
from cvas.jobs.tasks import send_notification


@pytest.mark.django_db(transaction=True)
def test_a_queued_mail_is_sent_by_the_worker_and_its_state_reads_back(settings: Any) -> None:
    job_id = notify(
        recipients=["Someone@Example.test", "someone@example.test"], subject="Hello", body="Body"
    )
    assert job_id is not None
    assert job_get(job_id).status == "READY"
    assert mail.outbox == []
    call_command("worker", "--batch", verbosity=0)
    job = job_get(job_id)
    assert job.status == "SUCCESSFUL"
    assert job.finished_at is not None and job.errors == []
    assert [m.to for m in mail.outbox] == [["someone@example.test"]]


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_records_its_error(settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.jobs.broken_backend.EmailBackend"
    result = send_notification.enqueue(subject="x", body="y", recipients=["a@example.test"])
    call_command("worker", "--batch", verbosity=0)
    job = job_get(str(result.id))
    assert job.status == "FAILED"
    assert any("SMTP server refused" in e for e in job.errors)


@pytest.mark.django_db
def test_an_unknown_job_is_not_found() -> None:
    with pytest.raises(NotFound):
        job_get("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound):
        job_get("not-a-uuid")


@pytest.mark.django_db
def test_nobody_to_tell_queues_nothing() -> None:
    assert notify(recipients=["", "  "], subject="x", body="y") is None
