"""Registry API: subscribers, endpoint registrations, imports and the legacy IP-registration portal.

Personal data is never returned in clear: identity numbers and mobile numbers come back masked,
individuals' names not at all (their holders' organisation names do)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from cvas.core import pii
from cvas.core.api_auth import API_AUTH, principal_of
from cvas.core.timeutil import pk_today
from cvas.licensing.api import MAX_OFFSET, Error
from cvas.licensing.selectors import regime_in_force
from cvas.registry import selectors, services, validation
from cvas.registry.choices import (
    EndpointStatus,
    HolderType,
    ImportKind,
    PortalDocumentKind,
    SubscriberStatus,
)
from cvas.registry.models import EndpointRegistration, ImportRun, PortalRequest, Subscriber

router = Router(tags=["registry"], auth=API_AUTH)
public_router = Router(tags=["registry"])

ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _masked_identity(sub: Subscriber) -> str:
    value = pii.decrypt(
        sub.identity_encrypted, purpose=validation.identity_purpose(sub.identity_kind)
    )
    return "".join(ch if ch == "-" else "*" for ch in value[:-1]) + value[-1:]


def _masked_msisdn(reg: EndpointRegistration) -> str | None:
    if reg.msisdn_encrypted is None:
        return None
    value = pii.decrypt(reg.msisdn_encrypted, purpose=validation.P_MSISDN)
    return value[:6] + "*" * (len(value) - 8) + value[-2:]


# -- subscribers -----------------------------------------------------------------------------


class SubscriberIn(Schema):
    model_config = ConfigDict(extra="forbid")

    licence: str = Field(description="The licence number ('/' may be '-'), or its id.")
    ref: str = Field(max_length=64)
    subscriber_type: Literal["organisation", "individual"]
    category: str = Field(max_length=32)
    name: str = Field(max_length=200)
    cnic: str | None = Field(None, max_length=20)
    ntn: str | None = Field(None, max_length=20)
    start_date: str = Field(max_length=10, description="YYYY-MM-DD")
    end_date: str | None = Field(None, max_length=10)


class SubscriberOut(Schema):
    id: int
    licence_id: int
    ref: str
    subscriber_type: str
    category: str
    name: str | None = Field(description="Organisations only; an individual's name is not shown.")
    identity_kind: str
    identity_masked: str
    start_date: dt.date
    end_date: dt.date | None
    status: str
    regime: str
    change: str | None = None


def subscriber_out(sub: Subscriber, change: str | None = None) -> dict[str, Any]:
    return {
        "id": sub.pk,
        "licence_id": sub.licence_id,
        "ref": sub.ref,
        "subscriber_type": sub.subscriber_type,
        "category": sub.category,
        "name": sub.name if sub.subscriber_type == HolderType.ORGANISATION else None,
        "identity_kind": sub.identity_kind,
        "identity_masked": _masked_identity(sub),
        "start_date": sub.start_date,
        "end_date": sub.end_date,
        "status": sub.status,
        "regime": sub.regime.name_en,
        "change": change,
    }


class SubscriberPage(Schema):
    items: list[SubscriberOut]
    count: int


@router.get(
    "/subscribers",
    response={200: SubscriberPage, **ERRORS},
    summary="Subscribers: your licences' own, or all for staff",
)
def subscribers_list(
    request: HttpRequest,
    licence: str | None = Query(None, max_length=64),
    status: SubscriberStatus | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    p = principal_of(request)
    lic = selectors.licence_for(p, licence) if licence else None
    qs = selectors.subscriber_list(p, licence=lic, status=status)
    return {
        "items": [subscriber_out(s) for s in qs[offset : offset + limit]],
        "count": qs.count(),
    }


class SubscriberLookupIn(Schema):
    model_config = ConfigDict(extra="forbid")

    licence: str | None = Field(None, max_length=64)
    cnic: str | None = Field(None, max_length=20)
    ntn: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=200)


@router.post(
    "/subscribers/lookup",
    response={200: SubscriberPage, **ERRORS},
    summary="Exact lookup by cnic, ntn or an individual's name (in the body, so that it never "
    "appears in an address or an access log)",
)
def subscribers_lookup(request: HttpRequest, payload: SubscriberLookupIn) -> dict[str, Any]:
    from cvas.core.errors import InvalidInput

    if not (payload.cnic or payload.ntn or payload.name):
        raise InvalidInput(
            "Give cnic, ntn or name.", details=[{"field": "cnic", "reason": "required"}]
        )
    p = principal_of(request)
    lic = selectors.licence_for(p, payload.licence) if payload.licence else None
    qs = selectors.subscriber_list(
        p, licence=lic, cnic=payload.cnic, ntn=payload.ntn, name=payload.name
    )
    return {"items": [subscriber_out(s) for s in qs[:500]], "count": qs.count()}


@router.post(
    "/subscribers",
    response={200: SubscriberOut, 201: SubscriberOut, **ERRORS},
    summary="Report a subscriber (created, or updated by its ref)",
)
def subscribers_save(request: HttpRequest, payload: SubscriberIn) -> Status[dict[str, Any]]:
    p = principal_of(request)
    lic = selectors.licence_for(p, payload.licence)
    sub, change = services.subscriber_save(
        principal=p, licence=lic, data=payload.dict(exclude={"licence"})
    )
    return Status(201 if change == "created" else 200, subscriber_out(sub, change))


@router.get("/subscribers/{subscriber_id}", response={200: SubscriberOut, **ERRORS})
def subscribers_detail(request: HttpRequest, subscriber_id: int) -> dict[str, Any]:
    return subscriber_out(selectors.subscriber_get(principal_of(request), subscriber_id))


class EndIn(Schema):
    model_config = ConfigDict(extra="forbid")

    end_date: dt.date | None = None
    reason: str = Field("", max_length=2000)


@router.post("/subscribers/{subscriber_id}/end", response={200: SubscriberOut, **ERRORS})
def subscribers_end(request: HttpRequest, subscriber_id: int, payload: EndIn) -> dict[str, Any]:
    p = principal_of(request)
    sub = selectors.subscriber_get(p, subscriber_id)
    return subscriber_out(
        services.subscriber_end(principal=p, subscriber=sub, end_date=payload.end_date)
    )


# -- endpoint registrations ------------------------------------------------------------------


class EndpointIn(Schema):
    model_config = ConfigDict(extra="forbid")

    licence: str = Field(description="The licence number ('/' may be '-'), or its id.")
    ref: str = Field(max_length=64)
    prefix: str | None = Field(None, max_length=64)
    msisdn: str | None = Field(None, max_length=32)
    holder_name: str = Field(max_length=200)
    holder_type: Literal["organisation", "individual"]
    subscriber_ref: str | None = Field(None, max_length=64)
    delegated_from: str | None = Field(
        None,
        max_length=64,
        description="The ref (or EP- handle) of the registration it is delegated from.",
    )


class HistoryOut(Schema):
    status: str
    at: dt.datetime
    by: str
    reason: str


class EndpointOut(Schema):
    handle: str
    kind: str
    source: str
    status: str
    prefix: str | None
    msisdn_masked: str | None
    holder_type: str
    holder_name: str | None = Field(description="Organisations only.")
    licence_id: int | None
    ref: str | None
    subscriber_ref: str | None
    delegated_from: str | None
    family: str
    history: list[HistoryOut]
    change: str | None = None


def endpoint_out(reg: EndpointRegistration, change: str | None = None) -> dict[str, Any]:
    return {
        "handle": reg.handle,
        "kind": reg.kind,
        "source": reg.source,
        "status": reg.status,
        "prefix": reg.network,
        "msisdn_masked": _masked_msisdn(reg),
        "holder_type": reg.holder_type,
        "holder_name": reg.holder_name if reg.holder_type == HolderType.ORGANISATION else None,
        "licence_id": reg.licence_id,
        "ref": reg.ref,
        "subscriber_ref": reg.subscriber.ref if reg.subscriber_id and reg.subscriber else None,
        "delegated_from": reg.delegated_from.handle
        if reg.delegated_from_id and reg.delegated_from
        else None,
        "family": reg.family,
        "history": selectors.endpoint_history(reg),
        "change": change,
    }


class EndpointPage(Schema):
    items: list[EndpointOut]
    count: int


@router.get(
    "/endpoints",
    response={200: EndpointPage, **ERRORS},
    summary="Endpoint registrations you may see",
)
def endpoints_list(
    request: HttpRequest,
    licence: str | None = Query(None, max_length=64),
    status: EndpointStatus | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    p = principal_of(request)
    lic = selectors.licence_for(p, licence) if licence else None
    qs = selectors.endpoint_list(p, licence=lic, status=status)
    return {
        "items": [endpoint_out(r) for r in qs[offset : offset + limit]],
        "count": qs.count(),
    }


class MsisdnLookupIn(Schema):
    model_config = ConfigDict(extra="forbid")

    msisdn: str = Field(max_length=32)


@router.post(
    "/endpoints/lookup",
    response={200: EndpointPage, **ERRORS},
    summary="Exact lookup of a mobile number (in the body, never in an address or a log)",
)
def endpoints_lookup(request: HttpRequest, payload: MsisdnLookupIn) -> dict[str, Any]:
    qs = selectors.endpoint_list(principal_of(request), msisdn=payload.msisdn)
    return {"items": [endpoint_out(r) for r in qs[:500]], "count": qs.count()}


@router.post(
    "/endpoints",
    response={200: EndpointOut, 201: EndpointOut, **ERRORS},
    summary="Register a prefix or mobile number (created, or updated by its ref); 409 on overlap",
)
def endpoints_save(request: HttpRequest, payload: EndpointIn) -> Status[dict[str, Any]]:
    p = principal_of(request)
    lic = selectors.licence_for(p, payload.licence)
    reg, change = services.endpoint_save(
        principal=p, licence=lic, data=payload.dict(exclude={"licence"})
    )
    return Status(201 if change == "created" else 200, endpoint_out(reg, change))


@router.get("/endpoints/{handle}", response={200: EndpointOut, **ERRORS})
def endpoints_detail(request: HttpRequest, handle: str) -> dict[str, Any]:
    return endpoint_out(selectors.endpoint_get(principal_of(request), handle))


@router.post("/endpoints/{handle}/end", response={200: EndpointOut, **ERRORS})
def endpoints_end(request: HttpRequest, handle: str, payload: EndIn) -> dict[str, Any]:
    p = principal_of(request)
    reg = selectors.endpoint_get(p, handle)
    return endpoint_out(services.endpoint_end(principal=p, registration=reg, reason=payload.reason))


# -- imports ---------------------------------------------------------------------------------


class ImportError_(Schema):
    line: int
    column: str
    reason: str


class ImportOut(Schema):
    id: int
    licence_id: int
    kind: str
    replace: bool
    status: str
    file_name: str
    file_sha256: str
    rows: int
    created: int
    updated: int
    ended: int
    unchanged: int
    error_count: int
    errors: list[ImportError_] = Field(description="The first 1,000 bad rows.")
    message: str
    same_as: int | None
    job_id: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def import_out(run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "licence_id": run.licence_id,
        "kind": run.kind,
        "replace": run.replace,
        "status": run.status,
        "file_name": run.original_name,
        "file_sha256": run.sha256,
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
        "ended": run.ended,
        "unchanged": run.unchanged,
        "error_count": run.error_count,
        "errors": run.errors,
        "message": run.message,
        "same_as": run.same_as_id,
        "job_id": run.job_id,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


@router.post(
    "/imports",
    response={202: ImportOut, **ERRORS},
    summary="Send a CSV of subscribers or endpoints; 202 with the import's id, the worker runs it",
)
def imports_create(
    request: HttpRequest,
    licence: Form[str],
    kind: Form[ImportKind],
    file: File[UploadedFile],
    replace: Form[bool] = False,
) -> Status[dict[str, Any]]:
    p = principal_of(request)
    lic = selectors.licence_for(p, licence)
    run = services.import_create(
        principal=p, licence=lic, kind=kind, upload=file, name=file.name or "", replace=replace
    )
    return Status(202, import_out(run))


@router.get(
    "/imports/{import_id}",
    response={200: ImportOut, **ERRORS},
    summary="An import's status, counts and errors (line, column, reason)",
)
def imports_detail(request: HttpRequest, import_id: int) -> dict[str, Any]:
    run = selectors.import_get(principal_of(request), import_id)
    return import_out(services.import_check_interrupted(run))


# -- the legacy IP-registration portal -------------------------------------------------------


class PortalStatusOut(Schema):
    registration_required: bool
    regime: str | None
    message: str
    fees: dict[str, Any]


def portal_status(day: dt.date | None = None, *, translated: bool = False) -> dict[str, Any]:
    """What the regime in force asks; `translated`: the message in the page's language."""
    day = day or pk_today()
    regime = regime_in_force(day)
    required = bool(regime and regime.end_user_registration_required)
    open_message = (
        gettext(services.PORTAL_OPEN_MESSAGE) if translated else services.PORTAL_OPEN_MESSAGE
    )
    return {
        "registration_required": required,
        "regime": regime.name_en if regime else None,
        "message": (
            open_message
            if required
            else services.portal_closed_message(regime, day, translated=translated)
        ),
        "fees": ((regime.fees or {}).get("ip_registration") or {}) if regime else {},
    }


@public_router.get(
    "/portal/status",
    response=PortalStatusOut,
    auth=None,
    summary="Whether the regime in force asks end users to register their addresses",
)
def portal_status_view(request: HttpRequest) -> dict[str, Any]:
    return portal_status()


class PortalRequestIn(Schema):
    model_config = ConfigDict(extra="forbid")

    applicant_id: int
    isp_id: int
    responsible_name: str = Field(max_length=200)
    responsible_cnic: str = Field(max_length=20)
    addresses: list[str] = Field(max_length=services.PORTAL_MAX_ITEMS)
    purpose: str = Field("", max_length=2000)


class PortalItemOut(Schema):
    id: int
    handle: str
    prefix: str | None
    msisdn_masked: str | None
    isp_verdict: str
    isp_note: str
    status: str


class PortalDocumentOut(Schema):
    id: int
    kind: str
    name: str
    size: int
    sha256: str
    erased_at: dt.datetime | None = Field(
        None,
        description="When the file (personal data) was deleted after the retention period; "
        "its record stays.",
    )


class PortalRequestOut(Schema):
    id: int
    reference: str
    applicant: str
    isp: str
    regime: str
    state: str
    filed_on: dt.date
    items: list[PortalItemOut]
    documents: list[PortalDocumentOut]
    missing_documents: list[str]
    decision_reason: str
    fee: dict[str, Any]


def portal_out(req: PortalRequest) -> dict[str, Any]:
    return {
        "id": req.pk,
        "reference": req.reference,
        "applicant": req.applicant.name,
        "isp": req.isp.name,
        "regime": req.regime.name_en,
        "state": req.state,
        "filed_on": req.filed_on,
        "items": [
            {
                "id": i.pk,
                "handle": i.registration.handle,
                "prefix": i.registration.network,
                "msisdn_masked": _masked_msisdn(i.registration),
                "isp_verdict": i.isp_verdict,
                "isp_note": i.isp_note,
                "status": i.registration.status,
            }
            for i in req.items.select_related("registration")
        ],
        "documents": [
            {
                "id": d.pk,
                "kind": d.kind,
                "name": d.original_name,
                "size": d.size,
                "sha256": d.sha256,
                "erased_at": d.erased_at,
            }
            for d in req.documents.all()
        ],
        "missing_documents": services.portal_missing_documents(req),
        "decision_reason": req.decision_reason,
        "fee": req.fee,
    }


class PortalPage(Schema):
    items: list[PortalRequestOut]
    count: int


@router.get(
    "/portal/requests",
    response={200: PortalPage, **ERRORS},
    summary="Portal requests: your own, those naming your network, or all for staff",
)
def portal_list(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    qs = selectors.portal_requests_for(principal_of(request))
    return {"items": [portal_out(r) for r in qs[offset : offset + limit]], "count": qs.count()}


@router.post("/portal/requests", response={201: PortalRequestOut, **ERRORS})
def portal_create(request: HttpRequest, payload: PortalRequestIn) -> Status[dict[str, Any]]:
    from cvas.accounts.models import Organisation
    from cvas.core.errors import InvalidInput

    p = principal_of(request)
    applicant = Organisation.objects.filter(pk=payload.applicant_id).first()
    isp = Organisation.objects.filter(pk=payload.isp_id).first()
    if applicant is None:
        from cvas.core.errors import NotFound

        raise NotFound("Organisation not found.")
    if isp is None:
        raise InvalidInput(
            "isp_id: no such network operator", details=[{"field": "isp_id", "reason": "not found"}]
        )
    req = services.portal_request_create(
        principal=p,
        applicant=applicant,
        isp=isp,
        responsible_name=payload.responsible_name,
        responsible_cnic=payload.responsible_cnic,
        addresses=payload.addresses,
        purpose=payload.purpose,
    )
    return Status(201, portal_out(req))


@router.get("/portal/requests/{request_id}", response={200: PortalRequestOut, **ERRORS})
def portal_detail(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return portal_out(selectors.portal_request_get(principal_of(request), request_id))


@router.post(
    "/portal/requests/{request_id}/documents",
    response={201: PortalDocumentOut, **ERRORS},
    summary="Upload a PDF: business_proof, responsible_cnic, letter, seb_certificate",
)
def portal_document(
    request: HttpRequest,
    request_id: int,
    kind: Form[PortalDocumentKind],
    file: File[UploadedFile],
) -> Status[dict[str, Any]]:
    p = principal_of(request)
    req = selectors.portal_request_get(p, request_id)
    doc = services.portal_document_add(principal=p, request=req, kind=kind, upload=file)
    return Status(
        201,
        {
            "id": doc.pk,
            "kind": doc.kind,
            "name": doc.original_name,
            "size": doc.size,
            "sha256": doc.sha256,
        },
    )


@router.post("/portal/requests/{request_id}/submit", response={200: PortalRequestOut, **ERRORS})
def portal_submit(request: HttpRequest, request_id: int) -> dict[str, Any]:
    p = principal_of(request)
    req = selectors.portal_request_get(p, request_id)
    return portal_out(services.portal_request_submit(principal=p, request=req))


class VerdictIn(Schema):
    model_config = ConfigDict(extra="forbid")

    verdict: Literal["confirmed", "disputed"]
    note: str = Field("", max_length=2000)


@router.post(
    "/portal/requests/{request_id}/items/{item_id}/verify",
    response={200: PortalRequestOut, **ERRORS},
    summary="The named provider confirms or disputes that an address is its subscriber's",
)
def portal_verify(
    request: HttpRequest, request_id: int, item_id: int, payload: VerdictIn
) -> dict[str, Any]:
    p = principal_of(request)
    item = selectors.portal_item_get(p, request_id, item_id)
    services.portal_item_verify(principal=p, item=item, verdict=payload.verdict, note=payload.note)
    return portal_out(selectors.portal_request_get(p, request_id))


class DecideIn(Schema):
    model_config = ConfigDict(extra="forbid")

    approve: list[int] = Field(
        default_factory=list, description="Items to register; the rest are rejected."
    )
    reason: str = Field(max_length=2000)


@router.post(
    "/portal/requests/{request_id}/decide",
    response={200: PortalRequestOut, **ERRORS},
    summary="Staff decide which confirmed addresses are registered; the fee follows the regime",
)
def portal_decide(request: HttpRequest, request_id: int, payload: DecideIn) -> dict[str, Any]:
    p = principal_of(request)
    req = selectors.portal_request_get(p, request_id)
    return portal_out(
        services.portal_request_decide(
            principal=p, request=req, approve=payload.approve, reason=payload.reason
        )
    )
