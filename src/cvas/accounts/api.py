"""Accounts API: who am I, organisations, API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from cvas.accounts import services
from cvas.accounts.choices import ApiScope, OrganisationKind
from cvas.accounts.models import ApiKey, Organisation
from cvas.core.api_auth import API_AUTH, principal_of
from cvas.core.errors import NotFound
from cvas.licensing.api import Error

router = Router(tags=["accounts"], auth=API_AUTH)


class MembershipOut(Schema):
    organisation_id: int
    organisation: str
    kind: str
    role: str


class MeOut(Schema):
    email: str | None
    staff_roles: list[str]
    memberships: list[MembershipOut]
    api_key: str | None = Field(description="The prefix of the key in use, if any.")
    scopes: list[str] | None


@router.get("/me", response={200: MeOut, 401: Error})
def me(request: HttpRequest) -> dict[str, Any]:
    p = principal_of(request)
    p.require_authenticated()
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=p.organisation_ids)}
    return {
        "email": p.user.email if p.user else None,
        "staff_roles": sorted(p.staff_roles),
        "memberships": [
            {
                "organisation_id": oid,
                "organisation": orgs[oid].name,
                "kind": orgs[oid].kind,
                "role": role,
            }
            for oid, role in sorted(p.memberships.items())
            if oid in orgs
        ],
        "api_key": p.api_key.prefix if p.api_key else None,
        "scopes": sorted(p.scopes) if p.scopes is not None else None,
    }


class OrganisationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200)
    kind: OrganisationKind
    registration_number: str = Field("", max_length=64)
    address: str = Field("", max_length=2000)
    contact_email: str = Field("", max_length=254)
    contact_phone: str = Field("", max_length=32)


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    registration_number: str
    address: str
    contact_email: str
    contact_phone: str
    public_record: bool
    demo: bool


def organisation_out(o: Organisation) -> dict[str, Any]:
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "registration_number": o.registration_number,
        "address": o.address,
        "contact_email": o.contact_email,
        "contact_phone": o.contact_phone,
        "public_record": o.is_public_record,
        "demo": o.is_demo,
    }


@router.get(
    "/organisations",
    response={200: list[OrganisationOut], 401: Error, 403: Error},
    summary="Your organisations (all of them for regulator staff)",
)
def organisations_list(request: HttpRequest) -> list[dict[str, Any]]:
    p = principal_of(request)
    p.require_scope("read")
    qs = (
        Organisation.objects.all()
        if p.is_staff_reader
        else Organisation.objects.filter(pk__in=p.organisation_ids)
    )
    return [organisation_out(o) for o in qs.order_by("name")]


@router.post(
    "/organisations",
    response={201: OrganisationOut, 401: Error, 403: Error, 409: Error, 422: Error},
    summary="Create an organisation; you become its manager",
)
def organisations_create(request: HttpRequest, payload: OrganisationIn) -> Status[dict[str, Any]]:
    p = principal_of(request)
    p.require_scope("write")
    if p.api_key is not None or p.user is None:
        from cvas.core.errors import Forbidden

        raise Forbidden("Organisations are created from a signed-in session.")
    org = services.organisation_create(actor=p.actor, creator=p.user, **payload.dict())
    return Status(201, organisation_out(org))


class ApiKeyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=100)
    scopes: list[ApiScope] = Field(..., min_length=1)
    expires_at: dt.datetime


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    organisation_id: int | None
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    created_by: str


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself. Shown this once; only its hash is kept.")


def api_key_out(k: ApiKey) -> dict[str, Any]:
    return {
        "id": k.pk,
        "name": k.name,
        "prefix": k.prefix,
        "organisation_id": k.organisation_id,
        "scopes": k.scopes,
        "created_at": k.created_at,
        "expires_at": k.expires_at,
        "revoked_at": k.revoked_at,
        "last_used_at": k.last_used_at,
        "created_by": k.created_by.email,
    }


def _org_for(request: HttpRequest, organisation_id: int, scope: str) -> Organisation:
    p = principal_of(request)
    p.require_scope(scope)
    org = Organisation.objects.filter(pk=organisation_id).first()
    if org is None:
        raise NotFound("Not found.")
    p.require_can_read_organisation(org)
    return org


@router.get(
    "/organisations/{organisation_id}/api-keys",
    response={200: list[ApiKeyOut], 401: Error, 403: Error, 404: Error},
)
def api_keys_list(request: HttpRequest, organisation_id: int) -> list[dict[str, Any]]:
    org = _org_for(request, organisation_id, "read")
    return [
        api_key_out(k) for k in ApiKey.objects.filter(organisation=org).select_related("created_by")
    ]


@router.post(
    "/organisations/{organisation_id}/api-keys",
    response={201: ApiKeyCreated, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="Create an API key for the organisation (from a signed-in session); the key is shown once",
)
def api_keys_create(
    request: HttpRequest, organisation_id: int, payload: ApiKeyIn
) -> Status[dict[str, Any]]:
    org = _org_for(request, organisation_id, "write")
    key, token = services.api_key_create(
        principal=principal_of(request),
        name=payload.name,
        scopes=[str(s) for s in payload.scopes],
        expires_at=payload.expires_at,
        organisation=org,
    )
    return Status(201, {**api_key_out(key), "key": token})


@router.delete(
    "/api-keys/{key_id}",
    response={200: ApiKeyOut, 401: Error, 403: Error, 404: Error},
    summary="Revoke an API key; it is refused from the next request on",
)
def api_keys_revoke(request: HttpRequest, key_id: int) -> dict[str, Any]:
    p = principal_of(request)
    p.require_scope("write")
    key = ApiKey.objects.select_related("created_by").filter(pk=key_id).first()
    if key is None:
        raise NotFound("Not found.")
    allowed = (
        (key.organisation_id is not None and p.is_member(key.organisation_id))
        or (key.organisation_id is None and p.user is not None and key.created_by_id == p.user.pk)
        or p.has_role("administrator")
    )
    if not allowed:
        raise NotFound("Not found.")
    return api_key_out(services.api_key_revoke(principal=p, key=key))
