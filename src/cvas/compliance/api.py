"""Compliance API: returns (/returns), deadlines, violations, the dashboard and cost model
(/compliance), and public statistics (/statistics). A licensee sees only its own returns; regulator
staff see all; what each may change is checked by the services."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from cvas.accounts.principal import READ_ALL_ROLES, Principal
from cvas.compliance import costs, csvform, selectors, services
from cvas.compliance.choices import (
    CostParameterKey,
    Decision,
    FiledVia,
    ReturnState,
    Sanction,
    ViolationKind,
    ViolationState,
)
from cvas.compliance.models import Return, ReturnVersion, Violation
from cvas.core.api_auth import API_AUTH, principal_of
from cvas.core.errors import NotFound
from cvas.core.timeutil import pk_today
from cvas.licensing.api import MAX_OFFSET, Error
from cvas.licensing.models import Licence

router = Router(tags=["returns and compliance"], auth=API_AUTH)
public_router = Router(tags=["public statistics"])

ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _reader(request: HttpRequest) -> Principal:
    p = principal_of(request)
    p.require_scope("read")
    return p


def _staff_reader(request: HttpRequest) -> Principal:
    p = _reader(request)
    p.require_role(*READ_ALL_ROLES)
    return p


def _writer(request: HttpRequest) -> Principal:
    p = principal_of(request)
    p.require_scope("write")
    return p


def _via(p: Principal) -> str:
    return FiledVia.API if p.api_key is not None else FiledVia.PORTAL


# -- schemas ------------------------------------------------------------------------------------


class IncidentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    kind: str = Field(
        max_length=32,
        description="data_breach, unauthorised_access, denial_of_service, malware, service_outage or other",
    )
    description: str = Field(max_length=2000)
    resolved: bool


class FiguresIn(Schema):
    model_config = ConfigDict(extra="forbid")

    subscribers: dict[str, int] = Field(
        description="Subscribers at the period's end by category (it_company, bank, foreign_mission, "
        "software_house, freelancer, individual, other_business)."
    )
    new_subscriptions: int
    ended_subscriptions: int
    traffic_domestic_bytes: int
    traffic_international_bytes: int
    gateway_locations: list[str] = Field(default_factory=list, max_length=200)
    incidents: list[IncidentIn] = Field(default_factory=list, max_length=500)


class ReturnCreate(FiguresIn):
    licence_id: int
    period_start: dt.date
    period_end: dt.date


class ReturnAmend(FiguresIn):
    reason: str = Field(max_length=5000, description="Why the return is amended (required).")


def _figures(payload: FiguresIn) -> dict[str, Any]:
    data = payload.dict(exclude={"licence_id", "period_start", "period_end", "reason"})
    return data


class IncidentOut(Schema):
    date: dt.date
    kind: str
    description: str
    resolved: bool


class FlagOut(Schema):
    code: str
    field: str
    message: str


class VersionOut(Schema):
    version: int
    filed_at: dt.datetime
    filed_by: str
    via: str
    amendment_reason: str
    subscribers: dict[str, int]
    subscribers_total: int
    new_subscriptions: int
    ended_subscriptions: int
    traffic_domestic_bytes: int
    traffic_international_bytes: int
    gateway_locations: list[str]
    incidents: list[IncidentOut]
    flags: list[FlagOut] = Field(description="Differences noticed (for review), never refused.")


class EstimateOut(Schema):
    international_bytes: int
    period_seconds: int
    average_international_tbps: float
    volume_model_usd: float = Field(description="International bytes at the price per MB.")
    rate_model_usd: float = Field(
        description="Average international Tbps over the period x its minutes x the price per Tbps-minute."
    )
    volume_model_pkr: float
    rate_model_pkr: float
    usd_to_pkr: float
    usd_to_pkr_as_of: dt.date | None
    usd_to_pkr_is_assumption: bool


def estimate_out(e: costs.Estimate, params: costs.CostParameters) -> dict[str, Any]:
    rate = params.items[CostParameterKey.USD_TO_PKR]
    return {
        "international_bytes": e.international_bytes,
        "period_seconds": e.seconds,
        "average_international_tbps": float(e.average_tbps.quantize(Decimal("0.000001"))),
        "volume_model_usd": _money(e.volume_usd),
        "rate_model_usd": _money(e.rate_usd),
        "volume_model_pkr": _money(e.volume_pkr),
        "rate_model_pkr": _money(e.rate_pkr),
        "usd_to_pkr": float(rate.value),
        "usd_to_pkr_as_of": rate.as_of,
        "usd_to_pkr_is_assumption": rate.is_assumption,
    }


class ReturnOut(Schema):
    id: int
    licence_id: int
    licence_number: str | None
    organisation_id: int
    holder: str
    period: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    first_filed_at: dt.datetime
    filed_late: bool
    current_version: int
    flagged: bool
    international_share: float | None
    current: VersionOut
    estimate: EstimateOut
    demo: bool


class ReturnDetailOut(ReturnOut):
    versions: list[VersionOut] = Field(description="Every version filed, oldest first.")


class ReturnPage(Schema):
    items: list[ReturnOut]
    count: int
    limit: int
    offset: int


def version_out(v: ReturnVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "filed_at": v.filed_at,
        "filed_by": v.filed_by_label,
        "via": v.via,
        "amendment_reason": v.amendment_reason,
        "subscribers": v.subscribers,
        "subscribers_total": v.subscribers_total,
        "new_subscriptions": v.new_subscriptions,
        "ended_subscriptions": v.ended_subscriptions,
        "traffic_domestic_bytes": v.traffic_domestic_bytes,
        "traffic_international_bytes": v.traffic_international_bytes,
        "gateway_locations": v.gateway_locations,
        "incidents": v.incidents,
        "flags": v.flags,
    }


def return_out(
    r: Return, params: costs.CostParameters, *, with_versions: bool = False
) -> dict[str, Any]:
    current = selectors.current_version(r)
    share = selectors.international_share(current)
    data: dict[str, Any] = {
        "id": r.pk,
        "licence_id": r.licence_id,
        "licence_number": r.licence.number,
        "organisation_id": r.licence.holder_id,
        "holder": r.licence.holder.name,
        "period": r.period_label,
        "period_start": r.period_start,
        "period_end": r.period_end,
        "due_on": r.due_on,
        "first_filed_at": r.first_filed_at,
        "filed_late": r.filed_late,
        "current_version": r.current_version,
        "flagged": bool(current.flags),
        "international_share": float(share.quantize(Decimal("0.0001")))
        if share is not None
        else None,
        "current": version_out(current),
        "estimate": estimate_out(selectors.return_estimate(r, current, params), params),
        "demo": r.is_demo,
    }
    if with_versions:
        data["versions"] = [version_out(v) for v in r.versions.all()]
    return data


class ObligationOut(Schema):
    licence_id: int
    licence_number: str | None
    organisation_id: int
    holder: str
    period: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    missing_from: dt.date = Field(description="From this day an unfiled return counts as missing.")
    state: str = Field(description="upcoming, due, late, missing, filed or filed_late")
    days_overdue: int
    return_id: int | None


def obligation_out(o: selectors.Obligation) -> dict[str, Any]:
    return {
        "licence_id": o.licence.pk,
        "licence_number": o.licence.number,
        "organisation_id": o.licence.holder_id,
        "holder": o.licence.holder.name,
        "period": o.period.label,
        "period_start": o.period.start,
        "period_end": o.period.end,
        "due_on": o.period.due_on,
        "missing_from": o.missing_from,
        "state": o.state,
        "days_overdue": o.days_overdue,
        "return_id": o.filed.pk if o.filed else None,
    }


def _csv_response(rows: list[list[Any]], filename: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(
            ["'" + c if isinstance(c, str) and c[:1] in csvform.FORMULA_START else c for c in row]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- returns ------------------------------------------------------------------------------------


@router.get(
    "/returns",
    response={200: ReturnPage, **ERRORS},
    summary="Filed returns: your organisations' own, or all for regulator staff",
)
def returns_list(
    request: HttpRequest,
    licence_id: int | None = None,
    organisation_id: int | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    flagged: bool | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    qs = selectors.return_list_for(
        _reader(request),
        licence_id=licence_id,
        organisation_id=organisation_id,
        period_from=period_from,
        period_to=period_to,
        flagged=flagged,
    )
    params = selectors.cost_parameters()
    return {
        "items": [return_out(r, params) for r in qs[offset : offset + limit]],
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
    }


@router.post(
    "/returns",
    response={201: ReturnDetailOut, **ERRORS},
    summary="File a return for one of your licences' ended periods",
)
def returns_file(request: HttpRequest, payload: ReturnCreate) -> Status[dict[str, Any]]:
    p = _writer(request)
    licence = selectors.licence_for_filing(p, payload.licence_id)
    ret = services.return_file(
        principal=p,
        licence=licence,
        period_start=payload.period_start,
        period_end=payload.period_end,
        data=_figures(payload),
        via=_via(p),
    )
    return Status(
        201,
        return_out(
            selectors.return_get_for(p, ret.pk), selectors.cost_parameters(), with_versions=True
        ),
    )


@router.post(
    "/returns/csv",
    response={201: ReturnDetailOut, **ERRORS},
    summary="File a return from its CSV form (multipart: licence_id, file)",
    description=csvform.__doc__,
)
def returns_file_csv(
    request: HttpRequest, licence_id: Form[int], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    p = _writer(request)
    licence = selectors.licence_for_filing(p, licence_id)
    ret = services.return_file_csv(principal=p, licence=licence, content=file.read())
    return Status(
        201,
        return_out(
            selectors.return_get_for(p, ret.pk), selectors.cost_parameters(), with_versions=True
        ),
    )


EXPORT_HEADER = [
    "return_id",
    "licence_number",
    "holder",
    "period",
    "period_start",
    "period_end",
    "due_on",
    "first_filed_at",
    "filed_late",
    "version",
    "subscribers_total",
    "new_subscriptions",
    "ended_subscriptions",
    "traffic_domestic_bytes",
    "traffic_international_bytes",
    "international_share",
    "volume_model_usd",
    "rate_model_usd",
    "usd_to_pkr",
    "volume_model_pkr",
    "rate_model_pkr",
    "flags",
    *[
        f"subscribers_{c}"
        for c in (
            "it_company",
            "bank",
            "foreign_mission",
            "software_house",
            "freelancer",
            "individual",
            "other_business",
        )
    ],
]


@router.get(
    "/returns/export.csv",
    response={200: None, **ERRORS},
    summary="Every filed return you may see, one row each (current version), as CSV",
)
def returns_export(request: HttpRequest) -> HttpResponse:
    params = selectors.cost_parameters()
    rows: list[list[Any]] = [EXPORT_HEADER]
    for r in selectors.return_list_for(_reader(request)):
        v = selectors.current_version(r)
        e = selectors.return_estimate(r, v, params)
        share = selectors.international_share(v)
        rows.append(
            [
                r.pk,
                r.licence.number or "",
                r.licence.holder.name,
                r.period_label,
                r.period_start,
                r.period_end,
                r.due_on,
                r.first_filed_at.isoformat(),
                "yes" if r.filed_late else "no",
                r.current_version,
                v.subscribers_total,
                v.new_subscriptions,
                v.ended_subscriptions,
                v.traffic_domestic_bytes,
                v.traffic_international_bytes,
                f"{share:.4f}" if share is not None else "",
                f"{e.volume_usd:.2f}",
                f"{e.rate_usd:.2f}",
                params.usd_to_pkr,
                f"{e.volume_pkr:.2f}",
                f"{e.rate_pkr:.2f}",
                "; ".join(f["message"] for f in v.flags),
                *[
                    v.subscribers.get(c, 0)
                    for c in (
                        "it_company",
                        "bank",
                        "foreign_mission",
                        "software_house",
                        "freelancer",
                        "individual",
                        "other_business",
                    )
                ],
            ]
        )
    return _csv_response(rows, f"returns-{pk_today():%Y-%m-%d}.csv")


@router.get(
    "/returns/obligations",
    response={200: list[ObligationOut], **ERRORS},
    summary="Returns owed, with their deadlines and state today (due, late, missing, filed...)",
)
def returns_obligations(
    request: HttpRequest,
    state: ReturnState | None = None,
    licence_id: int | None = None,
) -> list[dict[str, Any]]:
    rows = selectors.obligations_for(
        _reader(request), today=pk_today(), state=state, licence_id=licence_id
    )
    return [obligation_out(o) for o in rows]


@router.get(
    "/returns/obligations.csv",
    response={200: None, **ERRORS},
    summary="Returns owed and their state today, as CSV",
)
def returns_obligations_csv(request: HttpRequest, state: ReturnState | None = None) -> HttpResponse:
    rows = selectors.obligations_for(_reader(request), today=pk_today(), state=state)
    header = list(ObligationOut.model_fields)
    out: list[list[Any]] = [header]
    for o in rows:
        data = obligation_out(o)
        out.append(["" if data[k] is None else data[k] for k in header])
    return _csv_response(out, f"return-deadlines-{pk_today():%Y-%m-%d}.csv")


@router.get("/returns/{return_id}", response={200: ReturnDetailOut, **ERRORS})
def returns_get(request: HttpRequest, return_id: int) -> dict[str, Any]:
    ret = selectors.return_get_for(_reader(request), return_id)
    return return_out(ret, selectors.cost_parameters(), with_versions=True)


@router.get(
    "/returns/{return_id}/csv",
    response={200: None, **ERRORS},
    summary="A return in its CSV form (the current version, or ?version=N)",
)
def returns_get_csv(
    request: HttpRequest, return_id: int, version: int | None = None
) -> HttpResponse:
    ret = selectors.return_get_for(_reader(request), return_id)
    v = selectors.version_of(ret, version) if version else selectors.current_version(ret)
    response = HttpResponse(csvform.render(ret, v), content_type="text/csv; charset=utf-8")
    name = f"return-{ret.licence.number or ret.licence_id}-{ret.period_label}-v{v.version}".replace(
        "/", "-"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@router.post(
    "/returns/{return_id}/amendments",
    response={201: ReturnDetailOut, **ERRORS},
    summary="Amend a filed return: a new version with the full figures and a reason; earlier versions are kept",
)
def returns_amend(
    request: HttpRequest, return_id: int, payload: ReturnAmend
) -> Status[dict[str, Any]]:
    p = _writer(request)
    ret = selectors.return_get_for(p, return_id)
    services.return_amend(
        principal=p, periodic_return=ret, data=_figures(payload), reason=payload.reason, via=_via(p)
    )
    return Status(
        201,
        return_out(
            selectors.return_get_for(p, return_id), selectors.cost_parameters(), with_versions=True
        ),
    )


@router.post(
    "/returns/{return_id}/amendments/csv",
    response={201: ReturnDetailOut, **ERRORS},
    summary="Amend a filed return from its CSV form (multipart: reason, file)",
)
def returns_amend_csv(
    request: HttpRequest, return_id: int, reason: Form[str], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    p = _writer(request)
    ret = selectors.return_get_for(p, return_id)
    services.return_amend_csv(principal=p, periodic_return=ret, content=file.read(), reason=reason)
    return Status(
        201,
        return_out(
            selectors.return_get_for(p, return_id), selectors.cost_parameters(), with_versions=True
        ),
    )


# -- violations ---------------------------------------------------------------------------------


class ViolationEventOut(Schema):
    from_state: str
    to_state: str
    actor: str
    at: dt.datetime
    reason: str


class ViolationOut(Schema):
    id: int
    reference: str
    licence_id: int
    licence_number: str | None
    holder: str
    kind: str
    occurred_on: dt.date
    evidence: str
    details: dict[str, Any]
    state: str
    proposed_sanction: str
    fine_amount_pkr: float | None
    proposal_reason: str
    automatic: bool
    recorded_by: str
    decision: str
    decision_reason: str
    decided_by: str
    decided_at: dt.datetime | None
    licence_status: str
    history: list[ViolationEventOut]


def violation_out(v: Violation) -> dict[str, Any]:
    return {
        "id": v.pk,
        "reference": v.reference,
        "licence_id": v.licence_id,
        "licence_number": v.licence.number,
        "holder": v.licence.holder.name,
        "kind": v.kind,
        "occurred_on": v.occurred_on,
        "evidence": v.evidence,
        "details": v.details,
        "state": v.state,
        "proposed_sanction": v.proposed_sanction,
        "fine_amount_pkr": float(v.fine_amount_pkr) if v.fine_amount_pkr is not None else None,
        "proposal_reason": v.proposal_reason,
        "automatic": v.is_automatic,
        "recorded_by": v.recorded_by_label,
        "decision": v.decision,
        "decision_reason": v.decision_reason,
        "decided_by": v.decided_by_label,
        "decided_at": v.decided_at,
        "licence_status": v.licence.status,
        "history": [
            {
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": e.actor_label,
                "at": e.at,
                "reason": e.reason,
            }
            for e in v.events.all()
        ],
    }


class ViolationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    licence_id: int
    kind: ViolationKind
    occurred_on: dt.date
    evidence: str = Field(max_length=20000)
    sanction: Sanction | None = Field(None, description="Propose a sanction at once (optional).")
    fine_amount_pkr: Decimal | None = Field(None, description="Only with the fine sanction.")
    reason: str = Field("", max_length=5000)


class ProposeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sanction: Sanction
    fine_amount_pkr: Decimal | None = None
    reason: str = Field(max_length=5000)


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=5000)


class DecideIn(Schema):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: str = Field(max_length=5000)


class ViolationPage(Schema):
    items: list[ViolationOut]
    count: int
    limit: int
    offset: int


@router.get(
    "/violations", response={200: ViolationPage, **ERRORS}, summary="Violations (regulator staff)"
)
def violations_list(
    request: HttpRequest,
    state: ViolationState | None = None,
    open: bool = False,
    licence_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    qs = selectors.violation_list_for(
        _staff_reader(request), state=state, open_only=open, licence_id=licence_id
    )
    return {
        "items": [violation_out(v) for v in qs[offset : offset + limit]],
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
    }


@router.post(
    "/violations",
    response={201: ViolationOut, **ERRORS},
    summary="Record a violation against a licence (compliance officer), optionally proposing a sanction",
)
def violations_record(request: HttpRequest, payload: ViolationIn) -> Status[dict[str, Any]]:
    p = _writer(request)
    licence = Licence.objects.select_related("holder").filter(pk=payload.licence_id).first()
    if licence is None:
        raise NotFound("Licence not found.")
    v = services.violation_record(
        principal=p,
        licence=licence,
        kind=payload.kind,
        occurred_on=payload.occurred_on,
        evidence=payload.evidence,
        sanction=payload.sanction or "",
        fine_amount_pkr=payload.fine_amount_pkr,
        reason=payload.reason,
    )
    return Status(201, violation_out(selectors.violation_get_for(p, v.pk)))


@router.get(
    "/violations/export.csv",
    response={200: None, **ERRORS},
    summary="Violations as CSV (regulator staff)",
)
def violations_export(request: HttpRequest) -> HttpResponse:
    header = [
        "reference",
        "licence_number",
        "holder",
        "kind",
        "occurred_on",
        "state",
        "proposed_sanction",
        "fine_amount_pkr",
        "automatic",
        "recorded_by",
        "decision",
        "decided_by",
        "decided_at",
        "evidence",
    ]
    rows: list[list[Any]] = [header]
    for v in selectors.violation_list_for(_staff_reader(request)):
        rows.append(
            [
                v.reference,
                v.licence.number or "",
                v.licence.holder.name,
                v.kind,
                v.occurred_on,
                v.state,
                v.proposed_sanction,
                v.fine_amount_pkr or "",
                "yes" if v.is_automatic else "no",
                v.recorded_by_label,
                v.decision,
                v.decided_by_label,
                v.decided_at.isoformat() if v.decided_at else "",
                v.evidence,
            ]
        )
    return _csv_response(rows, f"violations-{pk_today():%Y-%m-%d}.csv")


@router.get("/violations/{violation_id}", response={200: ViolationOut, **ERRORS})
def violations_get(request: HttpRequest, violation_id: int) -> dict[str, Any]:
    return violation_out(selectors.violation_get_for(_staff_reader(request), violation_id))


def _violation_for_write(request: HttpRequest, violation_id: int) -> tuple[Principal, Violation]:
    p = _writer(request)
    return p, selectors.violation_get_for(p, violation_id)


@router.post(
    "/violations/{violation_id}/propose",
    response={200: ViolationOut, **ERRORS},
    summary="Propose (or revise) the sanction: warning, fine with its amount, or suspension (compliance officer)",
)
def violations_propose(
    request: HttpRequest, violation_id: int, payload: ProposeIn
) -> dict[str, Any]:
    p, v = _violation_for_write(request, violation_id)
    services.violation_propose(
        principal=p,
        violation=v,
        sanction=payload.sanction,
        fine_amount_pkr=payload.fine_amount_pkr,
        reason=payload.reason,
    )
    return violation_out(selectors.violation_get_for(p, violation_id))


@router.post(
    "/violations/{violation_id}/confirm",
    response={200: ViolationOut, **ERRORS},
    summary="Confirm a warning the system proposed by itself (compliance officer)",
)
def violations_confirm(
    request: HttpRequest, violation_id: int, payload: ReasonIn
) -> dict[str, Any]:
    p, v = _violation_for_write(request, violation_id)
    services.violation_confirm(principal=p, violation=v, reason=payload.reason)
    return violation_out(selectors.violation_get_for(p, violation_id))


@router.post(
    "/violations/{violation_id}/dismiss",
    response={200: ViolationOut, **ERRORS},
    summary="Dismiss a violation (compliance officer; a reason is required)",
)
def violations_dismiss(
    request: HttpRequest, violation_id: int, payload: ReasonIn
) -> dict[str, Any]:
    p, v = _violation_for_write(request, violation_id)
    services.violation_dismiss(principal=p, violation=v, reason=payload.reason)
    return violation_out(selectors.violation_get_for(p, violation_id))


@router.post(
    "/violations/{violation_id}/decide",
    response={200: ViolationOut, **ERRORS},
    summary="Decide the proposed sanction (licensing officer); a suspension suspends the licence",
)
def violations_decide(request: HttpRequest, violation_id: int, payload: DecideIn) -> dict[str, Any]:
    p, v = _violation_for_write(request, violation_id)
    services.violation_decide(
        principal=p, violation=v, decision=payload.decision, reason=payload.reason
    )
    return violation_out(selectors.violation_get_for(p, violation_id))


# -- dashboard, cost model, reminders -----------------------------------------------------------


class ParameterOut(Schema):
    key: str
    label: str
    value: float
    unit: str
    source: str
    is_assumption: bool
    as_of: dt.date | None


class CostModelOut(Schema):
    parameters: list[ParameterOut]
    tbps_minute_terabytes: float = Field(description="What 1 Tbps for one minute carries: 7.5 TB.")
    tbps_minute_volume_model_usd: float
    tbps_minute_rate_model_usd: float
    ratio: float
    statement: str


def cost_model_out(params: costs.CostParameters) -> dict[str, Any]:
    d = costs.disagreement(params)
    return {
        "parameters": [
            {
                "key": p.key,
                "label": p.label,
                "value": float(p.value),
                "unit": p.unit,
                "source": p.source,
                "is_assumption": p.is_assumption,
                "as_of": p.as_of,
            }
            for p in params.items.values()
        ],
        "tbps_minute_terabytes": float(d.terabytes),
        "tbps_minute_volume_model_usd": _money(d.volume_usd),
        "tbps_minute_rate_model_usd": _money(d.rate_usd),
        "ratio": float(d.ratio.quantize(Decimal("0.01"))),
        "statement": d.statement,
    }


class ExpiringOut(Schema):
    licence_id: int
    licence_number: str | None
    holder: str
    status: str
    expires_on: dt.date
    days_left: int
    threshold: int


def expiring_out(e: selectors.Expiring) -> dict[str, Any]:
    return {
        "licence_id": e.licence.pk,
        "licence_number": e.licence.number,
        "holder": e.licence.holder.name,
        "status": e.licence.status,
        "expires_on": e.licence.expires_on,
        "days_left": e.days_left,
        "threshold": e.threshold,
    }


class SeriesPointOut(Schema):
    period: str
    period_start: dt.date
    period_end: dt.date
    subscribers: dict[str, int]
    subscribers_total: int
    traffic_domestic_bytes: int
    traffic_international_bytes: int
    international_share: float | None
    estimate: EstimateOut


def point_out(p: selectors.SeriesPoint, params: costs.CostParameters) -> dict[str, Any]:
    return {
        "period": p.label,
        "period_start": p.period_start,
        "period_end": p.period_end,
        "subscribers": p.subscribers,
        "subscribers_total": p.subscribers_total,
        "traffic_domestic_bytes": p.domestic_bytes,
        "traffic_international_bytes": p.international_bytes,
        "international_share": float(p.international_share.quantize(Decimal("0.0001")))
        if p.international_share is not None
        else None,
        "estimate": estimate_out(p.estimate, params),
    }


class LicenseeOut(Schema):
    organisation_id: int
    name: str
    demo: bool
    public_record: bool
    licences: list[str]
    outstanding: dict[str, int]
    returns_filed: int
    latest: SeriesPointOut | None


class DashboardCounts(Schema):
    due: int
    late: int
    missing: int
    expiring_within_60: int
    expiring_within_30: int
    open_violations: int


class DashboardOut(Schema):
    today: dt.date
    counts: DashboardCounts
    due: list[ObligationOut]
    late: list[ObligationOut]
    missing: list[ObligationOut]
    expiring: list[ExpiringOut]
    open_violations: list[ViolationOut]
    licensees: list[LicenseeOut]
    cost_model: CostModelOut


@router.get(
    "/compliance/dashboard",
    response={200: DashboardOut, **ERRORS},
    summary="The compliance dashboard's figures (regulator staff)",
)
def dashboard(request: HttpRequest) -> dict[str, Any]:
    _staff_reader(request)
    d = selectors.staff_dashboard(today=pk_today())
    params = d["params"]
    return {
        "today": d["today"],
        "counts": {
            "due": len(d["due"]),
            "late": len(d["late"]),
            "missing": len(d["missing"]),
            "expiring_within_60": len(d["expiring"]),
            "expiring_within_30": sum(1 for e in d["expiring"] if e.days_left <= 30),
            "open_violations": len(d["open_violations"]),
        },
        "due": [obligation_out(o) for o in d["due"]],
        "late": [obligation_out(o) for o in d["late"]],
        "missing": [obligation_out(o) for o in d["missing"]],
        "expiring": [expiring_out(e) for e in d["expiring"]],
        "open_violations": [violation_out(v) for v in d["open_violations"]],
        "licensees": [
            {
                "organisation_id": s.organisation_id,
                "name": s.name,
                "demo": s.is_demo,
                "public_record": s.is_public_record,
                "licences": [lic.display_number for lic in s.licences],
                "outstanding": s.outstanding,
                "returns_filed": s.returns_filed,
                "latest": point_out(s.latest, params) if s.latest else None,
            }
            for s in d["licensees"]
        ],
        "cost_model": cost_model_out(params),
    }


@router.get(
    "/compliance/licensees/{organisation_id}/series",
    response={200: list[SeriesPointOut], **ERRORS},
    summary="One licensee's subscribers, traffic, international share and cost estimates, period by period",
)
def licensee_series(request: HttpRequest, organisation_id: int) -> list[dict[str, Any]]:
    p = _reader(request)
    p.require_can_read_organisation(organisation_id)
    params = selectors.cost_parameters()
    return [point_out(x, params) for x in selectors.licensee_series(organisation_id, params)]


@router.get(
    "/compliance/expiring-licences",
    response={200: list[ExpiringOut], **ERRORS},
    summary="Active or suspended licences expiring within the given number of days (regulator staff)",
)
def expiring(request: HttpRequest, within: int = Query(60, ge=0, le=3650)) -> list[dict[str, Any]]:
    _staff_reader(request)
    return [expiring_out(e) for e in selectors.expiring_licences(today=pk_today(), within=within)]


@router.get(
    "/compliance/cost-model",
    response={200: CostModelOut, **ERRORS},
    summary="The cost model's parameters with their sources, and how far the two seed figures disagree",
)
def cost_model(request: HttpRequest) -> dict[str, Any]:
    _reader(request)
    return cost_model_out(selectors.cost_parameters())


class ParameterIn(Schema):
    model_config = ConfigDict(extra="forbid")

    value: Decimal
    source: str = Field(max_length=2000)
    as_of: dt.date | None = None
    is_assumption: bool | None = None


@router.put(
    "/compliance/cost-model/{key}",
    response={200: CostModelOut, **ERRORS},
    summary="Change a parameter of the cost model, with its source (administrator or compliance officer)",
)
def cost_parameter_set(
    request: HttpRequest, key: CostParameterKey, payload: ParameterIn
) -> dict[str, Any]:
    p = _writer(request)
    services.cost_parameter_set(
        principal=p,
        key=key,
        value=payload.value,
        source=payload.source,
        as_of=payload.as_of,
        is_assumption=payload.is_assumption,
    )
    return cost_model_out(selectors.cost_parameters())


class ReminderOut(Schema):
    kind: str
    licence_id: int
    licence_number: str | None
    holder: str
    key: str
    outcome: str
    recipients: list[str]
    subject: str
    job_id: str
    tick_day: dt.date
    created_at: dt.datetime


class ReminderPage(Schema):
    items: list[ReminderOut]
    count: int
    limit: int
    offset: int


@router.get(
    "/compliance/reminders",
    response={200: ReminderPage, **ERRORS},
    summary="Reminders decided by `cvas tick`, each once per event (regulator staff)",
)
def reminders(
    request: HttpRequest,
    licence_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    _staff_reader(request)
    qs = selectors.reminder_list(licence_id=licence_id)
    return {
        "items": [
            {
                "kind": r.kind,
                "licence_id": r.licence_id,
                "licence_number": r.licence.number,
                "holder": r.licence.holder.name,
                "key": r.key,
                "outcome": r.outcome,
                "recipients": r.recipients,
                "subject": r.subject,
                "job_id": r.job_id,
                "tick_day": r.tick_day,
                "created_at": r.created_at,
            }
            for r in qs[offset : offset + limit]
        ],
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
    }


# -- public statistics --------------------------------------------------------------------------


class ProvidersPoint(Schema):
    date: dt.date
    licensed_providers: int
    of_which_demo: int


class SubscribersPeriod(Schema):
    period: str
    period_start: dt.date
    period_end: dt.date
    contributors: int
    includes_demo: bool
    suppressed: bool = Field(
        description="True when fewer licensees than minimum_contributors filed: the figures are withheld."
    )
    categories: dict[str, int]
    total: int | None


class StatisticsOut(Schema):
    today: dt.date
    licensed_providers: list[ProvidersPoint]
    subscribers_by_category: list[SubscribersPeriod]
    minimum_contributors: int


@public_router.get(
    "/statistics",
    response={200: StatisticsOut},
    auth=None,
    summary="Aggregates only: licensed providers over time, subscribers by category per period",
)
def statistics(request: HttpRequest) -> dict[str, Any]:
    return selectors.public_statistics(today=pk_today())
