"""Jobs API: a queued job's state and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from cvas.accounts.choices import StaffRole
from cvas.core.api_auth import API_AUTH, principal_of
from cvas.jobs.selectors import job_get
from cvas.licensing.api import Error

router = Router(tags=["jobs"], auth=API_AUTH)


class JobOut(Schema):
    id: str
    task: str
    status: str
    enqueued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    errors: list[str]


@router.get(
    "/jobs/{job_id}",
    response={200: JobOut, 401: Error, 403: Error, 404: Error},
    summary="A background job's state and errors (regulator staff)",
)
def job_detail(request: HttpRequest, job_id: str) -> dict[str, Any]:
    p = principal_of(request)
    p.require_scope("read")
    p.require_role(
        StaffRole.ADMINISTRATOR,
        StaffRole.AUDITOR,
        StaffRole.LICENSING_OFFICER,
        StaffRole.COMPLIANCE_OFFICER,
    )
    job = job_get(job_id)
    return {
        "id": job.id,
        "task": job.task,
        "status": job.status,
        "enqueued_at": job.enqueued_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "errors": job.errors,
    }
