"""Lookup API: one address (public), many addresses, prefixes and holders; the full exports and the
change feed for network operators; and `GET /ping`, the no-op the HTTP benchmark measures against."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from cvas.accounts.principal import Principal
from cvas.core.api_auth import API_AUTH, optional_principal, principal_of
from cvas.core.errors import DomainError, NotFound
from cvas.core.rate_limit import RateLimit
from cvas.licensing.api import MAX_OFFSET, Error
from cvas.lookup import feed, selectors, services
from cvas.lookup.choices import EXPORT_MEDIA_TYPES, ExportFormat
from cvas.lookup.models import ExportFile

router = Router(tags=["lookup"], auth=API_AUTH)
# Anonymous callers are counted per address ("lookup", 60 a minute by default); a network
# operator's API key has its own rate, unlimited unless CVAS_RATE_LIMIT_LOOKUP_AUTHENTICATED is set.
LOOKUP_LIMIT = RateLimit("lookup")
public_router = Router(tags=["lookup"])


class Ping(Schema):
    ok: bool


@public_router.get("/ping", response=Ping, auth=None, summary="A no-op: is the service up?")
def ping(request: HttpRequest) -> dict[str, Any]:
    return {"ok": True}


class LicenceSummary(Schema):
    number: str | None = Field(description="Null where the licence number was not published.")
    holder: str
    status: str


class RegistrationOut(Schema):
    registered: bool
    prefix: str
    ip_version: int
    handle: str
    holder_type: str = Field(description="organisation or individual")
    holder: str | None = Field(
        description="The organisation's name. An individual's is shown only to the licensee that "
        "reported it and to regulator staff; null otherwise."
    )
    licence: LicenceSummary | None = Field(
        description="Null for a registration through the portal."
    )
    registered_since: str


class LookupOut(RegistrationOut):
    address: str


@public_router.get(
    "/lookup/ip/{address}",
    response={200: LookupOut, 404: Error, 401: Error, 422: Error, 429: Error},
    auth=None,
    throttle=LOOKUP_LIMIT,
    summary="Which registration, if any, covers this address (404 not_registered if none)",
)
def lookup_ip(request: HttpRequest, address: str) -> HttpResponse:
    # The answer is built to the schema already: sent as it is (validating it again would cost
    # more than the lookup). "Not registered" is an answer, not an error: not logged (the
    # address may be an individual's).
    try:
        return JsonResponse(selectors.lookup_address(asker(request), address))
    except DomainError as exc:
        from cvas.config.api import error_response

        response = error_response(request, exc.status, exc.code, exc.message, exc.details)
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response


ANONYMOUS = Principal.anonymous()


def asker(request: HttpRequest) -> Principal:
    """Who asks a public question: without a key or a session cookie, the public (no lookup of
    a session or an account on the path of every anonymous lookup)."""
    if (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    ):
        return ANONYMOUS
    return optional_principal(request)


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    addresses: list[str] = Field(max_length=selectors.BATCH_LIMIT)


class BatchItem(Schema):
    address: str
    registered: bool
    prefix: str | None
    ip_version: int | None = None
    handle: str | None = None
    holder_type: str | None = None
    holder: str | None = None
    licence: LicenceSummary | None = None
    registered_since: str | None = None
    error: str | None = None


class BatchOut(Schema):
    items: list[BatchItem]
    count: int
    registered: int


@router.post(
    "/lookup/ip",
    response={200: BatchOut, 401: Error, 403: Error, 422: Error, 429: Error},
    throttle=LOOKUP_LIMIT,
    summary="Up to 10,000 addresses at once (network operators: an API key with the lookup scope)",
)
def lookup_batch(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    items = selectors.lookup_batch(principal_of(request), payload.addresses)
    return {
        "items": items,
        "count": len(items),
        "registered": sum(1 for i in items if i["registered"]),
    }


class PrefixOut(Schema):
    prefix: str
    covering: RegistrationOut | None = Field(
        description="The most specific registration containing the whole prefix."
    )
    items: list[RegistrationOut] = Field(description="Registrations inside the prefix.")
    count: int
    limit: int
    offset: int


@public_router.get(
    "/lookup/prefix",
    response={200: PrefixOut, 401: Error, 422: Error, 429: Error},
    auth=None,
    throttle=LOOKUP_LIMIT,
    summary="Everything registered inside a prefix, and what covers it",
)
def lookup_prefix(
    request: HttpRequest,
    prefix: str = Query(..., max_length=64, description="e.g. 39.32.0.0/16"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    return selectors.prefix_query(asker(request), prefix, limit=limit, offset=offset)


class HolderOut(Schema):
    holder: str
    items: list[RegistrationOut]
    count: int
    limit: int
    offset: int


@public_router.get(
    "/lookup/holder",
    response={200: HolderOut, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error},
    auth=None,
    throttle=LOOKUP_LIMIT,
    summary="Reverse lookup: every registration of one holder",
)
def lookup_holder(
    request: HttpRequest,
    organisation: int | None = Query(None, ge=1, description="An organisation's id"),
    name: str | None = Query(None, max_length=200, description="An organisation's exact name"),
    subscriber: int | None = Query(
        None, ge=1, description="A subscriber's id (its licensee and staff only)"
    ),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    return selectors.holder_query(
        asker(request),
        organisation=organisation,
        name=name,
        subscriber=subscriber,
        limit=limit,
        offset=offset,
    )


# -- exports ---------------------------------------------------------------------------------------


class ExportOut(Schema):
    format: str
    url: str
    name: str
    sha256: str
    size: int
    count: int
    cursor: str = Field(description="The change-feed cursor the file is current to.")
    generated_at: str


def export_out(e: ExportFile) -> dict[str, Any]:
    return {
        "format": e.format,
        "url": f"/api/v1/exports/{e.format}",
        "name": e.name,
        "sha256": e.sha256,
        "size": e.size,
        "count": e.count,
        "cursor": e.cursor,
        "generated_at": e.generated_at.isoformat(),
    }


def latest_export(fmt: str) -> ExportFile:
    e = ExportFile.objects.filter(format=fmt).order_by("-generated_at", "-pk").first()
    if e is None or not services.export_path(e).exists():
        raise NotFound(
            f"No {fmt} export has been published yet; `cvas tick` publishes them daily "
            "(or `cvas export --publish`).",
            code="export_not_available",
        )
    return e


@router.get(
    "/exports",
    response={200: list[ExportOut], 401: Error, 403: Error},
    summary="The newest full export of each format (network operators)",
)
def exports_list(request: HttpRequest) -> list[dict[str, Any]]:
    selectors.require_distribution(principal_of(request))
    out = []
    for fmt in ExportFormat.values:
        e = ExportFile.objects.filter(format=fmt).order_by("-generated_at", "-pk").first()
        if e is not None:
            out.append(export_out(e))
    return out


@router.get(
    "/exports/{fmt}",
    response={200: None, 304: None, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="Download the newest full export: csv, json, cidr or mmdb",
)
def exports_download(request: HttpRequest, fmt: ExportFormat) -> HttpResponseBase:
    selectors.require_distribution(principal_of(request))
    e = latest_export(fmt)
    etag = f'"{e.sha256}"'
    headers = {
        "ETag": etag,
        "X-Checksum-SHA256": e.sha256,
        "X-Generated-At": e.generated_at.isoformat(),
        "X-Cursor": e.cursor,
        "Cache-Control": "private, max-age=0, must-revalidate",
    }
    response: HttpResponseBase
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = FileResponse(
            open(services.export_path(e), "rb"),  # noqa: SIM115 - FileResponse closes it
            content_type=EXPORT_MEDIA_TYPES[ExportFormat(fmt)],
            as_attachment=True,
            filename=e.name,
        )
    for k, v in headers.items():
        response[k] = v
    return response


# -- the change feed -------------------------------------------------------------------------------


class ChangeOut(Schema):
    cursor: str
    handle: str
    event: str = Field(description="created, changed, ended or not_active")
    status: str
    at: str
    registration: RegistrationOut | None = Field(
        description="Its state now if active; null when it no longer is."
    )


class ChangesOut(Schema):
    since: str
    next: str = Field(description="Ask again with since=next for what follows.")
    more: bool
    items: list[ChangeOut]


@router.get(
    "/changes",
    response={200: ChangesOut, 401: Error, 403: Error, 410: Error, 422: Error},
    summary="Every registration created, changed or ended since a cursor (410 when it expired)",
)
def changes(
    request: HttpRequest,
    since: str = Query(..., max_length=40, description="A cursor from an export or the last page"),
    limit: int = Query(feed.PAGE_LIMIT, ge=1, le=feed.PAGE_LIMIT),
) -> dict[str, Any]:
    selectors.require_distribution(principal_of(request))
    return feed.page(feed.Position.parse(since), limit=limit)
