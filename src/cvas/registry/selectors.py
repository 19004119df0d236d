"""Reads for the registry: what each caller may see, and exact lookups by personal data."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cvas.accounts.principal import Principal
from cvas.core import pii
from cvas.core.errors import InvalidInput, NotFound
from cvas.licensing.models import Licence
from cvas.registry import validation
from cvas.registry.choices import HolderType, IdentityKind
from cvas.registry.models import (
    EndpointRegistration,
    ImportRun,
    PortalItem,
    PortalRequest,
    Subscriber,
)
from cvas.registry.services import require_licensee
from cvas.registry.validation import RowError


def licence_for(principal: Principal, number: str) -> Licence:
    """A licence by number (its '/' may be written '-') or by id (for a licence whose number is
    not published); its holder's members (or staff) may act on it, others are told it is absent."""
    qs = Licence.objects.select_related("holder")
    text = (number or "").strip()
    if text.isdigit():
        licence = qs.filter(pk=int(text)).first()
    else:
        licence = qs.filter(
            Q(number__iexact=text) | Q(number_slug__iexact=text.replace("/", "-"))
        ).first()
    if licence is None:
        raise NotFound(_("Licence not found."))
    require_licensee(principal, licence, scope="read")
    return licence


def _identity(cnic: str | None, ntn: str | None) -> tuple[str, str] | None:
    try:
        if cnic:
            return IdentityKind.CNIC, validation.clean_cnic(cnic)
        if ntn:
            return IdentityKind.NTN, validation.clean_ntn(ntn)
    except RowError as exc:
        raise exc.as_domain_error() from None
    return None


def subscriber_list(
    principal: Principal,
    *,
    licence: Licence | None = None,
    cnic: str | None = None,
    ntn: str | None = None,
    name: str | None = None,
    status: str | None = None,
) -> QuerySet[Subscriber]:
    """Subscribers the caller may read; `cnic`, `ntn` and `name` are exact lookups on keyed hashes."""
    principal.require_scope("read")
    qs = Subscriber.objects.select_related("licence", "regime")
    if licence is not None:
        qs = qs.filter(licence=licence)
    elif not principal.is_staff_reader:
        qs = qs.filter(licence__holder_id__in=principal.organisation_ids)
    identity = _identity(cnic, ntn)
    if identity is not None:
        qs = qs.filter(identity_hmac=validation.identity_hash(*identity))
    if name:
        clean = pii.normalise_name(name)
        qs = qs.filter(
            Q(subscriber_type=HolderType.INDIVIDUAL, name_hmac=validation.name_hash(clean))
            | Q(subscriber_type=HolderType.ORGANISATION, name__iexact=clean)
        )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("licence_id", "ref")


def subscriber_get(principal: Principal, pk: int) -> Subscriber:
    sub = Subscriber.objects.select_related("licence", "regime").filter(pk=pk).first()
    if sub is None:
        raise NotFound(_("Subscriber not found."))
    require_licensee(principal, sub.licence, scope="read")
    return sub


def _visible_endpoints(principal: Principal) -> QuerySet[EndpointRegistration]:
    qs = EndpointRegistration.objects.select_related("licence", "subscriber", "delegated_from")
    if principal.is_staff_reader:
        return qs
    orgs = principal.organisation_ids
    return qs.filter(
        Q(licence__holder_id__in=orgs)
        | Q(registrant_id__in=orgs)
        | Q(portal_item__request__isp_id__in=principal.network_operator_ids)
    )


def endpoint_list(
    principal: Principal,
    *,
    licence: Licence | None = None,
    msisdn: str | None = None,
    status: str | None = None,
) -> QuerySet[EndpointRegistration]:
    principal.require_scope("read")
    qs = _visible_endpoints(principal)
    if licence is not None:
        qs = qs.filter(licence=licence)
    if msisdn:
        try:
            number = validation.clean_msisdn(msisdn)
        except RowError as exc:
            raise exc.as_domain_error() from None
        qs = qs.filter(msisdn_hmac=validation.msisdn_hash(number))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("pk")


def endpoint_get(principal: Principal, handle: str) -> EndpointRegistration:
    principal.require_scope("read")
    reg = _visible_endpoints(principal).filter(handle=handle.strip().upper()).first()
    if reg is None:
        raise NotFound(_("No registration %(handle)s.") % {"handle": handle})
    return reg


def endpoint_history(reg: EndpointRegistration) -> list[dict[str, object]]:
    """Its first status (on the row) and every change since."""
    first = reg.events.order_by("at", "pk").first()
    initial = first.from_status if first is not None else reg.status
    items: list[dict[str, object]] = [
        {"status": initial, "at": reg.created_at, "by": reg.created_by_label, "reason": ""}
    ]
    for e in reg.events.order_by("at", "pk"):
        items.append({"status": e.to_status, "at": e.at, "by": e.actor_label, "reason": e.reason})
    return items


def import_get(principal: Principal, pk: int) -> ImportRun:
    run = ImportRun.objects.select_related("licence").filter(pk=pk).first()
    if run is None:
        raise NotFound(_("Import not found."))
    require_licensee(principal, run.licence, scope="read")
    return run


def portal_requests_for(principal: Principal) -> QuerySet[PortalRequest]:
    """Applicants see their own; network operators the requests that name them; staff all."""
    principal.require_scope("read")
    qs = PortalRequest.objects.select_related("applicant", "isp", "regime")
    if principal.is_staff_reader:
        return qs
    return qs.filter(
        Q(applicant_id__in=principal.organisation_ids)
        | Q(isp_id__in=principal.network_operator_ids)
    )


def portal_request_get(principal: Principal, pk: int) -> PortalRequest:
    req = portal_requests_for(principal).filter(pk=pk).first()
    if req is None:
        raise NotFound(_("Request not found."))
    return req


def portal_item_get(principal: Principal, request_pk: int, item_pk: int) -> PortalItem:
    req = portal_request_get(principal, request_pk)
    item = (
        PortalItem.objects.select_related("registration", "request")
        .filter(pk=item_pk, request=req)
        .first()
    )
    if item is None:
        raise NotFound(_("Item not found."))
    return item


def require_valid_status(value: str | None, allowed: list[str]) -> None:
    if value and value not in allowed:
        raise InvalidInput(
            # Translators: %(values)s lists the statuses the parameter accepts (in English).
            _("status: one of %(values)s") % {"values": ", ".join(allowed)},
            details=[{"field": "status", "reason": _("unknown status")}],
        )
