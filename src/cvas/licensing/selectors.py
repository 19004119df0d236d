"""Reads for licensing: regimes in force, the public register, verification, review queues."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from cvas.accounts.principal import Principal
from cvas.core.errors import InvalidInput, NotFound
from cvas.licensing.choices import (
    REQUIRED_DOCUMENT_KINDS,
    ApplicationState,
    Declaration,
    DocumentKind,
    LicenceStatus,
)
from cvas.licensing.models import Application, Brand, BrandDomain, Licence, Regime
from cvas.licensing.normalise import brand_key, domain_candidates, domain_normalise


def regime_in_force(day: dt.date) -> Regime | None:
    """The regime in force on a Pakistan date, or None before the first one."""
    return (
        Regime.objects.filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("-effective_from")
        .first()
    )


def regime_list() -> QuerySet[Regime]:
    return Regime.objects.order_by("effective_from")


# -- the public register ------------------------------------------------------------------------

SORTS = {
    "holder": ("holder__name", "pk"),
    "-holder": ("-holder__name", "-pk"),
    "issued": ("issued_on", "pk"),
    "-issued": ("-issued_on", "-pk"),
    "expires": ("expires_on", "pk"),
    "-expires": ("-expires_on", "-pk"),
    "number": ("number", "pk"),
    "-number": ("-number", "-pk"),
}


def licence_list(
    *,
    q: str | None = None,
    status: str | None = None,
    regime: str | None = None,
    sort: str | None = None,
) -> QuerySet[Licence]:
    qs = Licence.objects.select_related("holder", "regime").prefetch_related(
        Prefetch("brands", queryset=Brand.objects.order_by("name"))
    )
    if q:
        term = q.strip()
        key = brand_key(term)
        cond = (
            Q(holder__name__icontains=term)
            | Q(brands__name__icontains=term)
            | Q(number__icontains=term)
        )
        if key:
            cond |= Q(brands__name_key__contains=key)
        qs = qs.filter(cond).distinct()
    if status:
        if status not in LicenceStatus.values:
            raise InvalidInput(
                # Translators: %(status)r is the value given, in quotes; %(known)s lists the
                # accepted values (machine values, kept in English).
                _("Unknown status %(status)r; one of %(known)s.")
                % {"status": status, "known": ", ".join(LicenceStatus.values)},
                details=[{"field": "status", "reason": "unknown status"}],
            )
        qs = qs.filter(status=status)
    if regime:
        qs = qs.filter(regime__code=regime)
    if sort and sort not in SORTS:
        raise InvalidInput(
            # Translators: %(sort)r is the value given, in quotes; %(known)s lists the accepted
            # values (machine values, kept in English).
            _("Unknown sort %(sort)r; one of %(known)s.")
            % {"sort": sort, "known": ", ".join(SORTS)},
            details=[{"field": "sort", "reason": "unknown sort"}],
        )
    return qs.order_by(*SORTS[sort or "holder"])


def licence_get_by_number(number: str) -> Licence:
    """By number, with '/' written as '-' in addresses (CVAS-DATA-2025-0007) or as issued."""
    candidate = number.strip()
    licence = (
        Licence.objects.select_related("holder", "regime")
        .prefetch_related("brands__domains", "events")
        .filter(Q(number_slug__iexact=candidate.replace("/", "-")) | Q(number__iexact=candidate))
        .first()
    )
    if licence is None:
        raise NotFound(_("No licence numbered %(number)s.") % {"number": candidate})
    return licence


def licence_get_by_token(token: str) -> Licence:
    licence = (
        Licence.objects.select_related("holder", "regime").filter(verification_token=token).first()
    )
    if licence is None:
        raise NotFound(_("No such licence."))
    return licence


@dataclass(frozen=True)
class Verification:
    query: str
    kind: str  # brand | domain
    matched: str | None
    licence: Licence | None

    @property
    def licensed(self) -> bool:
        return self.licence is not None and self.licence.status == LicenceStatus.ACTIVE

    @property
    def status(self) -> str:
        if self.licence is None:
            return "not_licensed"
        return str(self.licence.status)

    @property
    def message(self) -> str:
        if self.licence is None:
            return (
                f"{self.query} is not on the register of licensed VPN providers. "
                "Using an unlicensed VPN service may be unlawful."
            )
        holder = self.licence.holder.name
        number = (
            f"licence {self.licence.number}"
            if self.licence.number
            else "licence (number not published)"
        )
        subject = self.matched or self.query
        match self.licence.status:
            case LicenceStatus.ACTIVE:
                return f"{subject} is licensed: {holder} holds CVAS-Data class {number}, active."
            case LicenceStatus.SUSPENDED:
                return (
                    f"{subject} is NOT currently licensed: the {number} of {holder} is suspended."
                )
            case LicenceStatus.REVOKED:
                return f"{subject} is NOT licensed: the {number} of {holder} has been revoked."
            case LicenceStatus.EXPIRED:
                return f"{subject} is NOT licensed: the {number} of {holder} has expired."
            case _:
                return f"{subject} is NOT licensed: the {number} of {holder} was surrendered."


def verify_brand(name: str) -> Verification:
    key = brand_key(name)
    if not key:
        raise InvalidInput(
            _("brand: give a brand name"), details=[{"field": "brand", "reason": "required"}]
        )
    brand = Brand.objects.select_related("licence__holder").filter(name_key=key).first()
    licence = brand.licence if brand is not None else None
    return Verification(
        query=name.strip(), kind="brand", matched=brand.name if brand else None, licence=licence
    )


def verify_domain(text: str) -> Verification:
    host = domain_normalise(text, field="domain")
    match = (
        BrandDomain.objects.select_related("brand__licence__holder")
        .filter(domain__in=domain_candidates(host))
        .order_by("-domain")
    )
    best = max(match, key=lambda d: len(d.domain), default=None)
    licence = best.brand.licence if best is not None else None
    return Verification(
        query=host,
        kind="domain",
        matched=f"{best.brand.name} ({best.domain})" if best else None,
        licence=licence,
    )


# -- applications --------------------------------------------------------------------------------


def application_list_for(
    principal: Principal, *, state: str | None = None
) -> QuerySet[Application]:
    principal.require_authenticated()
    qs = Application.objects.select_related("organisation", "assigned_to", "regime")
    if not principal.is_staff_reader:
        qs = qs.filter(organisation_id__in=principal.organisation_ids)
    if state:
        if state not in ApplicationState.values:
            raise InvalidInput(
                _("Unknown state %(state)r.") % {"state": state},
                details=[{"field": "state", "reason": "unknown state"}],
            )
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-pk")


def application_get_for(principal: Principal, pk: int | str) -> Application:
    """An application the principal may see; anyone else gets 'not found'."""
    principal.require_authenticated()
    try:
        app = Application.objects.select_related(
            "organisation", "assigned_to", "regime", "created_by"
        ).get(pk=int(pk))
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Application not found.")) from None
    if not (principal.is_member(app.organisation_id) or principal.is_staff_reader):
        raise NotFound(_("Application not found."))
    return app


def review_queue(
    *, state: str | None = None, assigned_to: int | None = None
) -> QuerySet[Application]:
    qs = Application.objects.select_related("organisation", "assigned_to").filter(
        state__in=[
            ApplicationState.SUBMITTED,
            ApplicationState.UNDER_REVIEW,
            ApplicationState.INFORMATION_REQUESTED,
            ApplicationState.RESUBMITTED,
        ]
    )
    if state:
        qs = qs.filter(state=state)
    if assigned_to is not None:
        qs = qs.filter(assigned_to_id=assigned_to)
    return qs.order_by("submitted_at", "pk")


def application_missing(app: Application) -> list[dict[str, str]]:
    """What must still be supplied before the application can be submitted: field and what."""
    missing: list[dict[str, str]] = []
    if len(app.service_description.strip()) < 20:
        missing.append(
            {
                "field": "service_description",
                "reason": _("describe the service (at least 20 characters)"),
            }
        )
    if not app.brands:
        missing.append({"field": "brands", "reason": _("name at least one brand")})
    if not app.gateway_prefixes:
        missing.append(
            {"field": "gateway_prefixes", "reason": _("list at least one gateway prefix")}
        )
    for declaration in Declaration:
        if app.declarations.get(declaration.value) is not True:
            missing.append(
                {
                    "field": f"declarations.{declaration.value}",
                    # Translators: %(what)s is the declaration's text.
                    "reason": _("declare: %(what)s") % {"what": _(declaration.label)},
                }
            )
    if not app.fee_payment_reference.strip():
        missing.append(
            {"field": "fee_payment_reference", "reason": _("give the fee payment reference")}
        )
    present = set(app.documents.filter(removed_at__isnull=True).values_list("kind", flat=True))
    for kind in REQUIRED_DOCUMENT_KINDS:
        if kind not in present:
            missing.append(
                {
                    "field": f"documents.{kind}",
                    # Translators: %(what)s is the kind of document.
                    "reason": _("upload: %(what)s (PDF)") % {"what": _(DocumentKind(kind).label)},
                }
            )
    return missing


def declared_gateway(
    net: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> tuple[str, Licence] | None:
    """The most specific gateway prefix declared in a licence's application that holds all of
    `net`, with that licence: the answer for a licensee whose gateways are not (yet) in the
    registry. A few hundred licences at most; read only when the registry has no answer."""
    best: tuple[int, str, Licence] | None = None
    rows = Licence.objects.select_related("holder", "regime", "application").exclude(
        application=None
    )
    for lic in rows:
        for text in (lic.application.gateway_prefixes if lic.application else None) or []:
            try:
                candidate = ipaddress.ip_network(text, strict=False)
            except ValueError:
                continue
            inside = candidate.version == net.version and net.subnet_of(candidate)  # type: ignore[arg-type]
            if inside and (best is None or candidate.prefixlen > best[0]):
                best = (candidate.prefixlen, str(candidate), lic)
    return (best[1], best[2]) if best else None
