"""Reading a job's state back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django_tasks import default_task_backend
from django_tasks.exceptions import TaskResultDoesNotExist

from cvas.core.errors import NotFound


@dataclass(frozen=True)
class JobState:
    id: str
    task: str
    status: str
    enqueued_at: Any
    started_at: Any
    finished_at: Any
    errors: list[str]
    return_value: Any


def job_get(job_id: str) -> JobState:
    try:
        uuid.UUID(job_id)
        result = default_task_backend.get_result(job_id)
    except (TaskResultDoesNotExist, ValueError):  # a malformed id is "not found" too
        raise NotFound(f"No job {job_id}.") from None
    status = str(result.status)
    return JobState(
        id=str(result.id),
        task=result.task.name,
        status=status,
        enqueued_at=result.enqueued_at,
        started_at=result.started_at,
        finished_at=result.finished_at,
        errors=[
            f"{e.exception_class_path}: {e.traceback.strip().splitlines()[-1] if e.traceback else ''}"
            for e in result.errors
        ],
        return_value=result.return_value if status == "SUCCESSFUL" else None,
    )
