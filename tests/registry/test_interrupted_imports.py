"""An import whose process is killed part-way: nothing changes, the run is found interrupted (by
`cvas tick`, by `cvas worker` when it starts, or when someone looks at it) and the same file can be
sent again. The first two tests really kill a `cvas import` and a `cvas worker` process."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cvas.audit.models import AuditEvent
from cvas.audit.selectors import audit_verify
from cvas.registry import liveness, services
from cvas.registry.choices import ImportStatus
from cvas.registry.models import EndpointRegistration, ImportRun
from tests.conftest import SYSTEM, api_key_for, bearer, principal
from tests.registry.test_imports import EP, pk_prefixes

ROWS = 60_000


@pytest.fixture
def _cheap_teardown() -> Any:
    """On SQLite, emptying a table of tens of thousands of registrations with foreign keys checked scans the
    table once a row (`delegated_from` has no index: registrations are never deleted but here), so
    empty it with the checks off before the test's flush."""
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("DELETE FROM registry_endpointregistration")
            cursor.execute("PRAGMA foreign_keys = ON")


def big_file(path: Path, rows: int = ROWS) -> bytes:
    with path.open("w") as f:
        f.write(EP + "\n")
        for i, p in enumerate(itertools.islice(pk_prefixes(32), rows)):
            f.write(f"k{i},{p},,Provider A Pvt Ltd,organisation,,,\n")
    return path.read_bytes()


def command_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `cvas` process working on this test's database, uploads and keys."""
    s = connection.settings_dict
    url = (
        f"sqlite:///{s['NAME']}"
        if connection.vendor == "sqlite"
        else f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    )
    keys = {
        name: base64.b64encode(getattr(settings, name)).decode()
        for name in ("AUDIT_HMAC_KEY", "PII_ENCRYPTION_KEY", "PII_HMAC_KEY")
    }
    return {
        **os.environ,
        **keys,
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": url,
        "CVAS_VAR_DIR": str(tmp_path),
        "CVAS_UPLOAD_DIR": str(settings.MEDIA_ROOT),
    }


def cvas(*args: str) -> list[str]:
    return [sys.executable, "-m", "cvas.manage", *args]


def wait_until_gone(run: ImportRun) -> None:
    """On PostgreSQL the server ends a killed client's session (and rolls its transaction back)
    once it notices; until then the import is, rightly, still running."""
    deadline = time.monotonic() + 60
    while liveness.is_running(run) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not liveness.is_running(run)


def assert_interrupted(run: ImportRun) -> None:
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "interrupted" in run.message and "Nothing was changed" in run.message
    assert "send the file again" in run.message
    assert run.finished_at is not None and run.same_as is None
    event = AuditEvent.objects.get(action="import.interrupted", object_id=str(run.pk))
    assert event.after["kind"] == "endpoints"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_cheap_teardown")
def test_a_killed_cvas_import_changes_nothing_is_marked_interrupted_by_tick_and_can_be_sent_again(
    licence: Any, world: dict[str, Any], client: Any, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    big_file(path)
    env = command_env(tmp_path)
    proc = subprocess.Popen(
        cvas("import", "endpoints", str(path), "--licence", str(licence.pk), "--progress"),
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 120
    # The progress bar counts rows read and written to the staging table, inside the transaction.
    while b"20,000 rows" not in seen and time.monotonic() < deadline:
        chunk = proc.stderr.read1(4096)  # type: ignore[attr-defined]
        if not chunk:
            break
        seen += chunk
    assert b"20,000 rows" in seen, seen[-500:]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    run = ImportRun.objects.get()
    assert EndpointRegistration.objects.count() == 0
    assert run.status == ImportStatus.RUNNING  # nobody was left to say otherwise
    assert run.pid == proc.pid and run.host

    wait_until_gone(run)
    out = subprocess.run(cvas("tick"), env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"interrupted imports: 1 interrupted import(s) marked failed: #{run.pk}" in out.stdout
    assert_interrupted(run)
    assert EndpointRegistration.objects.count() == 0
    assert audit_verify().ok

    _, token = api_key_for(world["member_a"], world["org_a"], ["read"])
    shown = client.get(f"/api/v1/imports/{run.pk}", **bearer(token)).json()
    assert shown["status"] == "failed" and shown["message"] == run.message

    # The same file again: imported in full, not taken for the interrupted run.
    again = subprocess.run(
        cvas("import", "endpoints", str(path), "--licence", str(licence.pk)),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    second = ImportRun.objects.exclude(pk=run.pk).get()
    assert second.status == ImportStatus.SUCCEEDED
    assert (second.created, second.same_as_id) == (ROWS, None)
    assert EndpointRegistration.objects.count() == ROWS
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED  # its record stays as it was
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_cheap_teardown")
def test_a_worker_killed_mid_import_is_settled_when_a_worker_starts_and_the_file_is_deleted(
    licence: Any, world: dict[str, Any], client: Any, tmp_path: Path
) -> None:
    from cvas.jobs.selectors import job_get

    data = big_file(tmp_path / "big.csv")
    _, token = api_key_for(world["member_a"], world["org_a"], ["read", "write"])

    def send() -> dict[str, Any]:
        r = client.post(
            "/api/v1/imports",
            {
                "licence": str(licence.pk),
                "kind": "endpoints",
                "file": SimpleUploadedFile("big.csv", data),
            },
            **bearer(token),
        )
        assert r.status_code == 202, r.content
        return dict(r.json())

    sent = send()
    run = ImportRun.objects.get(pk=sent["id"])
    stored = Path(run.file.path)
    assert stored.exists()
    env = command_env(tmp_path)
    worker = subprocess.Popen(
        cvas("worker", "--batch"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != ImportStatus.QUEUED:
            break
        time.sleep(0.05)
    assert run.status == ImportStatus.RUNNING
    time.sleep(1.0)  # well into reading and staging the rows
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    run.refresh_from_db()
    assert run.status == ImportStatus.RUNNING, "the import finished before the kill"
    assert run.pid == worker.pid
    assert EndpointRegistration.objects.count() == 0
    assert job_get(run.job_id).status == "RUNNING"

    wait_until_gone(run)
    restarted = subprocess.run(
        cvas("worker", "--batch"), env=env, capture_output=True, text=True, timeout=120
    )
    assert restarted.returncode == 0, restarted.stderr
    assert f"worker start: settled import #{run.pk}" in restarted.stderr
    assert_interrupted(run)
    assert run.file.name == "" and not stored.exists()  # personal data in clear is not kept
    job = job_get(run.job_id)
    assert job.status == "FAILED" and "ImportInterrupted" in job.errors[0]
    assert EndpointRegistration.objects.count() == 0

    again = send()
    call_command("worker", "--batch", verbosity=0)
    done = client.get(f"/api/v1/imports/{again['id']}", **bearer(token)).json()
    assert done["status"] == "succeeded", done
    assert (done["created"], done["same_as"]) == (ROWS, None)
    assert audit_verify().ok


def _running(licence: Any, user: Any) -> ImportRun:
    """A run marked running by this process, as `execute` marks it."""
    run = services.import_start(
        principal=principal(user), licence=licence, kind="endpoints", name="x.csv"
    )
    liveness.claim(run)
    run.status = ImportStatus.RUNNING
    run.started_at = timezone.now()
    run.save()
    return run


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_process_lives_is_left_running_and_one_whose_process_is_gone_is_not(
    licence: Any, world: dict[str, Any], client: Any
) -> None:
    run = _running(licence, world["member_a"])
    try:
        assert services.import_recover_interrupted(actor=SYSTEM) == []
        run.refresh_from_db()
        assert run.status == ImportStatus.RUNNING
        if connection.vendor == "postgresql":
            liveness.release(run)  # as the server does when the session ends
        else:
            # its process id now belongs to another process: not the one that started it
            other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
            run.pid = other.pid
            run.save(update_fields=["pid"])
            assert not liveness.is_running(run)
            other.kill()
            other.wait()
            run.pid = other.pid  # and now to none
            run.save(update_fields=["pid"])
        # whoever looks at it next sees it interrupted, without waiting for `cvas tick`
        _, token = api_key_for(world["member_a"], world["org_a"], ["read"])
        shown = client.get(f"/api/v1/imports/{run.pk}", **bearer(token)).json()
        assert shown["status"] == "failed" and "interrupted" in shown["message"]
        assert_interrupted(run)
        assert services.import_recover_interrupted(actor=SYSTEM) == []  # once only
    finally:
        liveness.release(run)


@pytest.mark.django_db
def test_a_run_whose_process_cannot_be_asked_is_interrupted_after_the_documented_limit(
    licence: Any, world: dict[str, Any], settings: Any
) -> None:
    """A run from before processes were recorded (or, on SQLite, from another machine)."""
    settings.CVAS_IMPORT_STALE_HOURS = 24
    run = _running(licence, world["member_a"])
    liveness.release(run)
    run.pid, run.host, run.process_start = None, "", ""
    run.started_at = timezone.now() - dt.timedelta(hours=23)
    run.save()
    found = services.import_recover_interrupted(actor=SYSTEM)
    if connection.vendor == "postgresql":
        # PostgreSQL always knows: nobody holds the run's lock, so its process is gone.
        assert [r.pk for r in found] == [run.pk]
        return
    assert found == []
    run.started_at = timezone.now() - dt.timedelta(hours=25)
    run.save()
    assert [r.pk for r in services.import_recover_interrupted(actor=SYSTEM)] == [run.pk]
    assert_interrupted(run)
