"""Licensing API: the public register and verify, applications, the review queue, licence actions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from cvas.accounts.models import Organisation
from cvas.core.api_auth import API_AUTH, principal_of
from cvas.core.errors import InvalidInput, NotFound
from cvas.core.rate_limit import RateLimit
from cvas.licensing import selectors, services
from cvas.licensing.choices import ApplicationState, DocumentKind, LicenceStatus
from cvas.licensing.models import Application, ApplicationDocument, Licence, Regime

public_router = Router(tags=["public register"])
# Beyond this an OFFSET overflows the database's 64-bit integer: refuse it as bad input, not a 500.
MAX_OFFSET = 10**12
router = Router(tags=["applications and licences"], auth=API_AUTH)


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict[str, Any]] = []


class Error(Schema):
    error: ErrorBody


# -- public ------------------------------------------------------------------------------------


class RegimeOut(Schema):
    code: str
    name: str
    name_ur: str
    summary: str
    effective_from: dt.date
    effective_to: dt.date | None
    licensing_open: bool
    permitted_categories: list[str]
    end_user_registration_required: bool
    licence_validity_years: int
    return_period: str
    return_deadline_days: int
    fees: dict[str, Any]
    conditions: str
    conditions_ur: str
    sources: list[str]
    assumptions: list[str] = Field(
        description="Fields whose values are assumptions, not published facts."
    )


def regime_out(r: Regime) -> dict[str, Any]:
    return {
        "code": r.code,
        "name": r.name_en,
        "name_ur": r.name_ur,
        "summary": r.summary_en,
        "effective_from": r.effective_from,
        "effective_to": r.effective_to,
        "licensing_open": r.licensing_open,
        "permitted_categories": r.permitted_categories,
        "end_user_registration_required": r.end_user_registration_required,
        "licence_validity_years": r.licence_validity_years,
        "return_period": r.return_period,
        "return_deadline_days": r.return_deadline_days,
        "fees": r.fees,
        "conditions": r.conditions_en,
        "conditions_ur": r.conditions_ur,
        "sources": r.sources,
        "assumptions": r.assumptions,
    }


class LicenceOut(Schema):
    id: int
    number: str | None = Field(description="Null where the number has not been published.")
    holder: str
    brands: list[str]
    status: str
    issued_on: dt.date
    expires_on: dt.date
    regime: str
    regime_code: str
    public_record: bool
    demo: bool


class LicenceEventOut(Schema):
    action: str
    from_status: str
    to_status: str
    effective_on: dt.date
    reason: str


class BrandOut(Schema):
    name: str
    websites: list[str]


class LicenceDetailOut(LicenceOut):
    brand_details: list[BrandOut]
    conditions: str
    conditions_ur: str
    note: str
    history: list[LicenceEventOut]


class LicencePage(Schema):
    items: list[LicenceOut]
    count: int
    limit: int
    offset: int


def licence_out(lic: Licence) -> dict[str, Any]:
    return {
        "id": lic.pk,
        "number": lic.number,
        "holder": lic.holder.name,
        "brands": [b.name for b in lic.brands.all()],
        "status": lic.status,
        "issued_on": lic.issued_on,
        "expires_on": lic.expires_on,
        "regime": lic.regime.name_en,
        "regime_code": lic.regime.code,
        "public_record": lic.is_public_record,
        "demo": lic.is_demo,
    }


def licence_detail_out(lic: Licence) -> dict[str, Any]:
    data = licence_out(lic)
    data.update(
        brand_details=[
            {"name": b.name, "websites": [d.domain for d in b.domains.all()]}
            for b in lic.brands.all()
        ],
        conditions=lic.conditions_en,
        conditions_ur=lic.conditions_ur,
        note=lic.public_record_note,
        history=[
            {
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "effective_on": e.effective_on,
                "reason": e.reason,
            }
            for e in lic.events.all()
        ],
    )
    return data


@public_router.get(
    "/register/licences",
    response={200: LicencePage, 422: Error, 429: Error},
    auth=None,
    throttle=RateLimit("register"),
    summary="The register of licences, searchable",
)
def register_list(
    request: HttpRequest,
    q: str | None = Query(
        None, max_length=200, description="Words in the holder's or a brand's name"
    ),
    status: LicenceStatus | None = None,
    regime: str | None = Query(None, max_length=64),
    sort: Literal[
        "holder", "-holder", "issued", "-issued", "expires", "-expires", "number", "-number"
    ]
    | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    qs = selectors.licence_list(q=q, status=status, regime=regime, sort=sort)
    return {
        "items": [licence_out(x) for x in qs[offset : offset + limit]],
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
    }


@public_router.get(
    "/register/licences/{number}",
    response={200: LicenceDetailOut, 404: Error, 429: Error},
    auth=None,
    throttle=RateLimit("register"),
    summary="One licence by number, its '/' written as '-' (CVAS-DATA-2025-0007)",
)
def register_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    return licence_detail_out(selectors.licence_get_by_number(number))


class VerifyOut(Schema):
    query: str
    kind: str
    licensed: bool = Field(description="True only while the matching licence is active.")
    status: str = Field(
        description="active, suspended, revoked, expired, surrendered or not_licensed"
    )
    message: str
    matched: str | None
    licence: LicenceOut | None


@public_router.get(
    "/verify",
    response={200: VerifyOut, 422: Error, 429: Error},
    auth=None,
    throttle=RateLimit("verify"),
    summary="Is this VPN brand, website or gateway address licensed?",
)
def verify(
    request: HttpRequest,
    brand: str | None = Query(None, max_length=200),
    domain: str | None = Query(None, max_length=300),
    address: str | None = Query(None, max_length=100, description="An IP address (cvas.lookup)"),
) -> dict[str, Any]:
    if address is not None and (brand is not None or domain is not None):
        raise InvalidInput(
            "Give exactly one of brand, domain or address.",
            details=[{"field": "brand|domain|address", "reason": "exactly one is required"}],
        )
    given = [k for k, v in (("brand", brand), ("domain", domain)) if v is not None]
    if len(given) != 1 and address is None:
        raise InvalidInput(
            "Give exactly one of brand, domain or address.",
            details=[{"field": "brand|domain", "reason": "exactly one is required"}],
        )
    if address is not None:
        from cvas.lookup.selectors import verify_address

        result: Any = verify_address(address)
    else:
        result = (
            selectors.verify_brand(brand)
            if brand is not None
            else selectors.verify_domain(domain or "")
        )
    return {
        "query": result.query,
        "kind": result.kind,
        "licensed": result.licensed,
        "status": result.status,
        "message": result.message,
        "matched": result.matched,
        "licence": licence_out(result.licence) if result.licence else None,
    }


@public_router.get("/regimes", response=list[RegimeOut], auth=None, summary="The policy timeline")
def regimes(request: HttpRequest) -> list[dict[str, Any]]:
    return [regime_out(r) for r in selectors.regime_list()]


# -- applications ------------------------------------------------------------------------------


class BrandIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=120)
    websites: list[str] = Field(default_factory=list, max_length=20)
    app_identifiers: list[str] = Field(default_factory=list, max_length=20)


class ApplicationContent(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not silently dropped

    service_description: str | None = Field(None, max_length=10000)
    brands: list[BrandIn] | None = Field(None, max_length=20)
    gateway_prefixes: list[str] | None = Field(None, max_length=256)
    declarations: dict[str, bool] | None = None
    fee_payment_reference: str | None = Field(None, max_length=64)


class ApplicationCreate(ApplicationContent):
    organisation_id: int


class TransitionOut(Schema):
    from_state: str
    to_state: str
    actor: str
    at: dt.datetime
    reason: str


class DocumentOut(Schema):
    id: int
    kind: str
    name: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class MissingItem(Schema):
    field: str
    reason: str


class ApplicationOut(Schema):
    id: int
    reference: str
    organisation_id: int
    organisation: str
    state: str
    regime: str | None
    service_description: str
    brands: list[dict[str, Any]]
    gateway_prefixes: list[str]
    declarations: dict[str, bool]
    fee_payment_reference: str
    assigned_to: str | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_reason: str
    licence_number: str | None
    missing: list[MissingItem]
    documents: list[DocumentOut]
    history: list[TransitionOut]


def application_out(app: Application) -> dict[str, Any]:
    licence = Licence.objects.filter(application=app).only("number").first()
    return {
        "id": app.pk,
        "reference": app.reference,
        "organisation_id": app.organisation_id,
        "organisation": app.organisation.name,
        "state": app.state,
        "regime": app.regime.name_en if app.regime_id and app.regime else None,
        "service_description": app.service_description,
        "brands": app.brands,
        "gateway_prefixes": app.gateway_prefixes,
        "declarations": app.declarations,
        "fee_payment_reference": app.fee_payment_reference,
        "assigned_to": app.assigned_to.email if app.assigned_to_id and app.assigned_to else None,
        "submitted_at": app.submitted_at,
        "decided_at": app.decided_at,
        "decision_reason": app.decision_reason,
        "licence_number": licence.number if licence else None,
        "missing": selectors.application_missing(app)
        if app.state == ApplicationState.DRAFT
        else [],
        "documents": [
            {
                "id": d.pk,
                "kind": d.kind,
                "name": d.original_name,
                "size": d.size,
                "sha256": d.sha256,
                "uploaded_at": d.uploaded_at,
            }
            for d in app.documents.filter(removed_at__isnull=True)
        ],
        "history": [
            {
                "from_state": t.from_state,
                "to_state": t.to_state,
                "actor": t.actor_label,
                "at": t.at,
                "reason": t.reason,
            }
            for t in app.transitions.all()
        ],
    }


class ApplicationSummary(Schema):
    id: int
    reference: str
    organisation: str
    state: str
    submitted_at: dt.datetime | None
    assigned_to: str | None
    age_days: int | None


class ApplicationPage(Schema):
    items: list[ApplicationSummary]
    count: int
    limit: int
    offset: int


def application_summary(app: Application) -> dict[str, Any]:
    from django.utils import timezone

    age = (timezone.now() - app.submitted_at).days if app.submitted_at else None
    return {
        "id": app.pk,
        "reference": app.reference,
        "organisation": app.organisation.name,
        "state": app.state,
        "submitted_at": app.submitted_at,
        "age_days": age,
        "assigned_to": app.assigned_to.email if app.assigned_to else None,
    }


def _content(payload: ApplicationContent) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True, exclude={"organisation_id"})
    return {k: v for k, v in data.items() if v is not None}


@router.get(
    "/applications",
    response={200: ApplicationPage, 401: Error, 403: Error, 422: Error},
    summary="Applications: your organisations' own, or all for regulator staff",
)
def applications_list(
    request: HttpRequest,
    state: ApplicationState | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    principal = principal_of(request)
    principal.require_scope("read")
    qs = selectors.application_list_for(principal, state=state)
    return {
        "items": [application_summary(a) for a in qs[offset : offset + limit]],
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
    }


@router.post(
    "/applications",
    response={201: ApplicationOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="Start a draft application for one of your organisations",
)
def applications_create(request: HttpRequest, payload: ApplicationCreate) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    org = Organisation.objects.filter(pk=payload.organisation_id).first()
    if org is None:
        raise NotFound("Organisation not found.")
    app = services.application_create(principal=principal, organisation=org, data=_content(payload))
    return Status(201, application_out(app))


def _app(request: HttpRequest, application_id: int, scope: str = "read") -> Application:
    principal = principal_of(request)
    principal.require_scope(scope)
    return selectors.application_get_for(principal, application_id)


@router.get(
    "/applications/{application_id}",
    response={200: ApplicationOut, 401: Error, 403: Error, 404: Error},
)
def applications_get(request: HttpRequest, application_id: int) -> dict[str, Any]:
    return application_out(_app(request, application_id))


@router.patch(
    "/applications/{application_id}",
    response={200: ApplicationOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="Edit a draft (or an application with information requested)",
)
def applications_update(
    request: HttpRequest, application_id: int, payload: ApplicationContent
) -> dict[str, Any]:
    app = _app(request, application_id, "write")
    return application_out(
        services.application_update(
            principal=principal_of(request), application=app, data=_content(payload)
        )
    )


@router.post(
    "/applications/{application_id}/documents",
    response={201: DocumentOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="Upload a PDF document",
)
def documents_upload(
    request: HttpRequest, application_id: int, kind: Form[DocumentKind], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    app = _app(request, application_id, "write")
    doc = services.document_add(
        principal=principal_of(request), application=app, kind=kind, upload=file
    )
    return Status(
        201,
        {
            "id": doc.pk,
            "kind": doc.kind,
            "name": doc.original_name,
            "size": doc.size,
            "sha256": doc.sha256,
            "uploaded_at": doc.uploaded_at,
        },
    )


def _document(
    request: HttpRequest, application_id: int, document_id: int, scope: str
) -> ApplicationDocument:
    app = _app(request, application_id, scope)
    doc = ApplicationDocument.objects.filter(
        pk=document_id, application=app, removed_at__isnull=True
    ).first()
    if doc is None:
        raise NotFound("Document not found.")
    return doc


@router.get(
    "/applications/{application_id}/documents/{document_id}",
    response={200: None, 401: Error, 403: Error, 404: Error},
    summary="Download a document (PDF)",
)
def documents_download(request: HttpRequest, application_id: int, document_id: int) -> FileResponse:
    doc = _document(request, application_id, document_id, "read")
    return FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=doc.original_name,
        content_type="application/pdf",
    )


@router.delete(
    "/applications/{application_id}/documents/{document_id}",
    response={204: None, 401: Error, 403: Error, 404: Error, 409: Error},
)
def documents_remove(request: HttpRequest, application_id: int, document_id: int) -> Status[None]:
    doc = _document(request, application_id, document_id, "write")
    services.document_remove(principal=principal_of(request), document=doc)
    return Status(204, None)


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=5000)


class ResponseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    response: str = Field(..., max_length=10000)


APP_RESPONSES = {200: ApplicationOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


@router.post("/applications/{application_id}/submit", response=APP_RESPONSES)
def applications_submit(request: HttpRequest, application_id: int) -> dict[str, Any]:
    app = _app(request, application_id, "write")
    return application_out(
        services.application_submit(principal=principal_of(request), application=app)
    )


@router.post("/applications/{application_id}/withdraw", response=APP_RESPONSES)
def applications_withdraw(
    request: HttpRequest, application_id: int, payload: ReasonIn
) -> dict[str, Any]:
    app = _app(request, application_id, "write")
    return application_out(
        services.application_withdraw(
            principal=principal_of(request), application=app, reason=payload.reason
        )
    )


@router.post(
    "/applications/{application_id}/respond",
    response=APP_RESPONSES,
    summary="Answer an information request and resubmit",
)
def applications_respond(
    request: HttpRequest, application_id: int, payload: ResponseIn
) -> dict[str, Any]:
    app = _app(request, application_id, "write")
    return application_out(
        services.application_respond(
            principal=principal_of(request), application=app, response=payload.response
        )
    )


# -- staff -------------------------------------------------------------------------------------


@router.get(
    "/review/queue",
    response={200: ApplicationPage, 401: Error, 403: Error},
    summary="Applications awaiting the Authority, oldest first",
)
def review_queue(
    request: HttpRequest,
    state: ApplicationState | None = None,
    mine: bool = False,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    from cvas.accounts.choices import StaffRole

    principal = principal_of(request)
    principal.require_scope("read")
    principal.require_role(
        StaffRole.LICENSING_OFFICER,
        StaffRole.COMPLIANCE_OFFICER,
        StaffRole.AUDITOR,
        StaffRole.ADMINISTRATOR,
    )
    qs = selectors.review_queue(
        state=state, assigned_to=principal.user.pk if mine and principal.user else None
    )
    return {
        "items": [application_summary(a) for a in qs[offset : offset + limit]],
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
    }


@router.post(
    "/applications/{application_id}/take",
    response=APP_RESPONSES,
    summary="Take under review (licensing officer)",
)
def applications_take(request: HttpRequest, application_id: int) -> dict[str, Any]:
    app = _app(request, application_id, "write")
    return application_out(
        services.application_take(principal=principal_of(request), application=app)
    )


@router.post("/applications/{application_id}/request-information", response=APP_RESPONSES)
def applications_request_information(
    request: HttpRequest, application_id: int, payload: ReasonIn
) -> dict[str, Any]:
    app = _app(request, application_id, "write")
    return application_out(
        services.application_request_information(
            principal=principal_of(request), application=app, reason=payload.reason
        )
    )


@router.post("/applications/{application_id}/reject", response=APP_RESPONSES)
def applications_reject(
    request: HttpRequest, application_id: int, payload: ReasonIn
) -> dict[str, Any]:
    app = _app(request, application_id, "write")
    return application_out(
        services.application_reject(
            principal=principal_of(request), application=app, reason=payload.reason
        )
    )


@router.post(
    "/applications/{application_id}/approve",
    response={201: LicenceDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="Approve and issue the licence",
)
def applications_approve(
    request: HttpRequest, application_id: int, payload: ReasonIn
) -> Status[dict[str, Any]]:
    app = _app(request, application_id, "write")
    licence = services.application_approve(
        principal=principal_of(request), application=app, reason=payload.reason
    )
    return Status(201, licence_detail_out(selectors.licence_get_by_number(licence.number or "")))


LicenceActionName = Literal["suspend", "reinstate", "revoke", "surrender", "renew"]
ACTIONS = {
    "suspend": services.licence_suspend,
    "reinstate": services.licence_reinstate,
    "revoke": services.licence_revoke,
    "surrender": services.licence_surrender,
    "renew": services.licence_renew,
}


def _licence_for(request: HttpRequest, licence_id: int) -> Licence:
    principal = principal_of(request)
    principal.require_scope("write")
    lic = Licence.objects.select_related("holder", "regime").filter(pk=licence_id).first()
    if lic is None:
        raise NotFound("Licence not found.")
    return lic


class NumberIn(Schema):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(..., max_length=64)


# Registered before /licences/{licence_id}/{action}, which would otherwise take 'official-number' as an action.
@router.post(
    "/licences/{licence_id}/official-number",
    response={200: LicenceDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="Record the official number of a public-record licence once published",
)
def licences_record_number(
    request: HttpRequest, licence_id: int, payload: NumberIn
) -> dict[str, Any]:
    lic = _licence_for(request, licence_id)
    done = services.licence_record_number(
        principal=principal_of(request), licence=lic, number=payload.number
    )
    return licence_detail_out(
        Licence.objects.prefetch_related("brands__domains", "events")
        .select_related("holder", "regime")
        .get(pk=done.pk)
    )


@router.post(
    "/licences/{licence_id}/{action}",
    response={200: LicenceDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="Suspend, reinstate, revoke, surrender or renew a licence",
)
def licences_action(
    request: HttpRequest, licence_id: int, action: LicenceActionName, payload: ReasonIn
) -> dict[str, Any]:
    lic = _licence_for(request, licence_id)
    done = ACTIONS[action](principal=principal_of(request), licence=lic, reason=payload.reason)
    return licence_detail_out(
        Licence.objects.prefetch_related("brands__domains", "events")
        .select_related("holder", "regime")
        .get(pk=done.pk)
    )
