"""Writes for the registry: subscribers, endpoint registrations, the legacy IP-registration portal
and imports. Each is one transaction that locks what it changes, checks the state it leaves, and
writes its audit event (with personal data masked) in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext as _

from cvas.accounts.choices import OrganisationKind, StaffRole
from cvas.accounts.models import Membership, Organisation
from cvas.accounts.principal import Principal
from cvas.audit.services import audit_record, snapshot
from cvas.core import pii
from cvas.core.actors import Actor
from cvas.core.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from cvas.core.timeutil import pk_today
from cvas.core.uploads import check_text
from cvas.jobs.services import notify
from cvas.licensing.choices import LicenceStatus
from cvas.licensing.documents import check_pdf, safe_display_name
from cvas.licensing.models import Licence, Regime
from cvas.licensing.selectors import regime_in_force
from cvas.registry import overlap, validation
from cvas.registry.choices import (
    PORTAL_REQUIRED_DOCUMENTS,
    SEB_KINDS,
    EndpointKind,
    EndpointSource,
    EndpointStatus,
    HolderType,
    ImportKind,
    ImportStatus,
    IspVerdict,
    PortalDocumentKind,
    PortalState,
    RowAction,
    SubscriberStatus,
)
from cvas.registry.models import (
    EndpointEvent,
    EndpointRegistration,
    ImportRun,
    PortalDocument,
    PortalItem,
    PortalRequest,
    Subscriber,
)
from cvas.registry.validation import RowError

SUBSCRIBER_AUDIT = [
    "licence",
    "ref",
    "subscriber_type",
    "category",
    "name",
    "name_encrypted",
    "identity_kind",
    "identity_encrypted",
    "start_date",
    "end_date",
    "status",
    "regime",
]
ENDPOINT_AUDIT = [
    "handle",
    "kind",
    "source",
    "licence",
    "registrant",
    "ref",
    "holder_type",
    "holder_organisation",
    "holder_name",
    "holder_name_encrypted",
    "subscriber",
    "network",
    "msisdn_encrypted",
    "delegated_from",
    "family",
    "status",
]
PORTAL_AUDIT = [
    "reference",
    "applicant",
    "isp",
    "regime",
    "state",
    "responsible_name_encrypted",
    "responsible_cnic_encrypted",
    "filed_on",
    "decision_reason",
    "fee",
]
PORTAL_MAX_ITEMS = 256


# -- who may act for a licence ---------------------------------------------------------------------


def require_licensee(principal: Principal, licence: Licence, *, scope: str = "write") -> None:
    """Members of the licence holder act for it; staff read everything; an administrator (or the
    server's operator) may also write for it. Anyone else is told the licence does not exist."""
    principal.require_scope(scope)
    if principal.is_member(licence.holder_id):
        return
    if scope == "read" and principal.is_staff_reader:
        return
    if principal.has_role(StaffRole.ADMINISTRATOR):
        return
    if principal.is_staff_reader:
        raise Forbidden(_("Only a member of the licence holder (or an administrator) may do this."))
    raise NotFound(_("Licence not found."))


def require_active_licence(licence: Licence) -> None:
    if licence.status != LicenceStatus.ACTIVE:
        raise Conflict(
            # Translators: %(status)s is the licence's status in lower case (e.g. suspended).
            _("Licence %(number)s is %(status)s: it may not report new subscribers or endpoints.")
            % {
                "number": licence.display_number,
                "status": _(licence.get_status_display()).lower(),
            },
            code="licence_not_active",
        )


def _row_error(exc: RowError) -> InvalidInput:
    return exc.as_domain_error()


# -- subscribers -----------------------------------------------------------------------------------


@transaction.atomic
def subscriber_save(
    *,
    principal: Principal,
    licence: Licence,
    data: dict[str, Any],
    today: dt.date | None = None,
    is_demo: bool = False,
) -> tuple[Subscriber, str]:
    """Create or update (by `ref`) one subscriber; returns it and what happened
    (created, updated, unchanged). A category the regime in force on its start date does not
    permit is refused with the regime's name and rule."""
    require_licensee(principal, licence)
    try:
        clean = validation.clean_subscriber(
            {**data, "action": RowAction.UPSERT}, validation.Regimes()
        )
    except RowError as exc:
        raise _row_error(exc) from None
    require_active_licence(licence)
    today = today or pk_today()
    existing = Subscriber.objects.select_for_update().filter(licence=licence, ref=clean.ref).first()
    digest = clean.content_hash()
    name, name_cipher = validation.encrypted_name(clean.subscriber_type, clean.name)
    status = (
        SubscriberStatus.ENDED
        if clean.end_date is not None and clean.end_date <= today
        else SubscriberStatus.ACTIVE
    )
    values = {
        "subscriber_type": clean.subscriber_type,
        "category": clean.category,
        "name": name,
        "name_encrypted": name_cipher,
        "name_hmac": validation.name_hash(clean.name)
        if clean.subscriber_type == HolderType.INDIVIDUAL
        else None,
        "identity_kind": clean.identity_kind,
        "identity_encrypted": pii.encrypt(
            clean.identity, purpose=validation.identity_purpose(clean.identity_kind)
        ),
        "identity_hmac": validation.identity_hash(clean.identity_kind, clean.identity),
        "start_date": clean.start_date,
        "end_date": clean.end_date,
        "status": status,
        "regime_id": clean.regime_id,
        "content_hash": digest,
    }
    if existing is not None:
        if bytes(existing.content_hash) == digest and existing.status == status:
            return existing, "unchanged"
        before = snapshot(existing, SUBSCRIBER_AUDIT)
        for key, value in values.items():
            setattr(existing, key, value)
        existing.updated_at = timezone.now()
        existing.save()
        audit_record(
            actor=principal.actor,
            action="subscriber.update",
            obj=existing,
            before=before,
            after=snapshot(existing, SUBSCRIBER_AUDIT),
        )
        return existing, "updated"
    sub = Subscriber.objects.create(
        licence=licence, ref=clean.ref, is_demo=is_demo or licence.is_demo, **values
    )
    audit_record(
        actor=principal.actor,
        action="subscriber.create",
        obj=sub,
        after=snapshot(sub, SUBSCRIBER_AUDIT),
    )
    return sub, "created"


@transaction.atomic
def subscriber_end(
    *, principal: Principal, subscriber: Subscriber, end_date: dt.date | None = None
) -> Subscriber:
    sub = Subscriber.objects.select_for_update().select_related("licence").get(pk=subscriber.pk)
    require_licensee(principal, sub.licence)
    end = end_date or pk_today()
    if end < sub.start_date:
        raise InvalidInput(
            _("end_date: before the subscriber's start date"),
            details=[{"field": "end_date", "reason": _("before start_date")}],
        )
    if sub.status == SubscriberStatus.ENDED and sub.end_date == end:
        return sub
    before = snapshot(sub, SUBSCRIBER_AUDIT)
    sub.end_date = end
    sub.status = SubscriberStatus.ENDED if end <= pk_today() else SubscriberStatus.ACTIVE
    sub.content_hash = validation.SubscriberData(
        ref=sub.ref,
        action=RowAction.UPSERT,
        subscriber_type=sub.subscriber_type,
        category=sub.category,
        name=pii.decrypt(sub.name_encrypted, purpose=validation.P_NAME)
        if sub.subscriber_type == HolderType.INDIVIDUAL
        else sub.name,
        identity_kind=sub.identity_kind,
        identity=pii.decrypt(
            sub.identity_encrypted, purpose=validation.identity_purpose(sub.identity_kind)
        ),
        start_date=sub.start_date,
        end_date=end,
    ).content_hash()
    sub.updated_at = timezone.now()
    sub.save()
    audit_record(
        actor=principal.actor,
        action="subscriber.end",
        obj=sub,
        before=before,
        after=snapshot(sub, SUBSCRIBER_AUDIT),
    )
    return sub


def tick_end_subscribers(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: subscribers whose service end date has passed are marked ended."""
    from cvas.core.tick import StepResult

    with transaction.atomic():
        due = Subscriber.objects.filter(status=SubscriberStatus.ACTIVE, end_date__lte=today)
        count = due.update(status=SubscriberStatus.ENDED, updated_at=timezone.now())
        if count:
            audit_record(
                actor=actor,
                action="subscriber.end_due",
                obj="registry.subscriber",
                after={"ended": count, "on": today.isoformat()},
            )
    return StepResult(name="subscriber service ends", lines=[f"{count} subscriber(s) ended"])


# -- endpoint registrations ------------------------------------------------------------------------


def conflict_error(*, what: str, other: EndpointRegistration, field: str = "prefix") -> Conflict:
    """409 naming the other registration's handle, and its holder only if an organisation."""
    held = other.holder_type == HolderType.ORGANISATION and bool(other.holder_name)
    values = {
        "field": field,
        "prefix": what,
        "network": other.network,
        "handle": other.handle,
        "holder": other.holder_name,
    }
    if other.kind == EndpointKind.PREFIX:
        if held:
            # Translators: %(network)s is the other registration's prefix, %(handle)s its handle
            # (EP-…), %(holder)s the organisation holding it; delegated_from is a field's name.
            reason = _(
                "overlaps %(network)s, registration %(handle)s, held by %(holder)s; a prefix may "
                "overlap only the one it is delegated from (delegated_from)"
            )
            message = _(
                "%(field)s: %(prefix)s overlaps %(network)s, registration %(handle)s, held by "
                "%(holder)s; a prefix may overlap only the one it is delegated from "
                "(delegated_from)"
            )
        else:
            reason = _(
                "overlaps %(network)s, registration %(handle)s; a prefix may overlap only the one "
                "it is delegated from (delegated_from)"
            )
            message = _(
                "%(field)s: %(prefix)s overlaps %(network)s, registration %(handle)s; a prefix may "
                "overlap only the one it is delegated from (delegated_from)"
            )
        return Conflict(
            message % values,
            code="overlap",
            details=[{"field": field, "reason": reason % values, "handle": other.handle}],
        )
    if held:
        reason = (
            _("this mobile number is already registered as %(handle)s, held by %(holder)s") % values
        )
    else:
        reason = _("this mobile number is already registered as %(handle)s") % values
    return Conflict(
        validation.field_message(field, reason),
        code="duplicate",
        details=[{"field": field, "reason": reason, "handle": other.handle}],
    )


def _check_free(reg: EndpointRegistration) -> None:
    """Refuse an active registration that would overlap another family's (or reuse a number)."""
    if reg.kind == EndpointKind.PREFIX:
        assert reg.ip_version is not None and reg.prefix_len is not None
        other = overlap.conflicting(
            version=reg.ip_version,
            length=reg.prefix_len,
            start=bytes(reg.range_start or b""),
            end=bytes(reg.range_end or b""),
            family=reg.family,
            exclude_pk=reg.pk,
        )
        if other is not None:
            raise conflict_error(what=str(reg.network), other=other)
    else:
        other = (
            EndpointRegistration.objects.filter(
                kind=EndpointKind.MSISDN,
                status=EndpointStatus.ACTIVE,
                msisdn_hmac=reg.msisdn_hmac,
            )
            .exclude(pk=reg.pk)
            .first()
        )
        if other is not None:
            raise conflict_error(what="the number", other=other, field="msisdn")


def _save_active(reg: EndpointRegistration, *, create: bool) -> None:
    """Save a registration that is (or becomes) active. The check above gives the clear message;
    on PostgreSQL the exclusion constraint also holds against a concurrent writer whose row we
    could not yet see, and its refusal is turned into the same message."""
    _check_free(reg)
    try:
        with transaction.atomic():
            if create:
                reg.save(force_insert=True)
            else:
                reg.save()
    except IntegrityError:
        _check_free(reg)
        raise


def _event(
    reg: EndpointRegistration, *, from_status: str, to_status: str, actor: Actor, reason: str = ""
) -> None:
    EndpointEvent.objects.create(
        registration=reg,
        from_status=from_status,
        to_status=to_status,
        actor_label=actor.label[:255],
        reason=reason,
    )


def _parent_for(licence: Licence | None, ref_or_handle: str | None) -> EndpointRegistration | None:
    if not ref_or_handle:
        return None
    qs = EndpointRegistration.objects.select_for_update()
    if ref_or_handle.upper().startswith("EP-"):
        parent = qs.filter(handle=ref_or_handle.upper()).first()
    else:
        parent = qs.filter(licence=licence, ref=ref_or_handle).first()
    if parent is None:
        raise InvalidInput(
            _("delegated_from: no registration %(ref)s") % {"ref": ref_or_handle},
            details=[{"field": "delegated_from", "reason": _("no such registration")}],
        )
    return parent


def _check_delegation(clean: validation.EndpointData, parent: EndpointRegistration | None) -> None:
    if parent is None:
        return
    if parent.kind != EndpointKind.PREFIX or parent.status != EndpointStatus.ACTIVE:
        raise InvalidInput(
            _("delegated_from: %(handle)s is not an active prefix") % {"handle": parent.handle},
            details=[{"field": "delegated_from", "reason": _("not an active prefix")}],
        )
    inside = (
        parent.ip_version == clean.ip_version
        and bytes(parent.range_start or b"") <= (clean.range_start or b"")
        and bytes(parent.range_end or b"") >= (clean.range_end or b"")
    )
    if not inside:
        raise InvalidInput(
            # Translators: %(prefix)s is the prefix given; %(parent)s and %(handle)s the prefix and
            # handle of the registration it is said to be delegated from.
            _("delegated_from: %(prefix)s is not inside %(parent)s (%(handle)s)")
            % {"prefix": clean.network, "parent": parent.network, "handle": parent.handle},
            details=[
                {
                    "field": "delegated_from",
                    "reason": _("not inside %(parent)s") % {"parent": parent.network},
                }
            ],
        )


def _apply_endpoint_values(
    reg: EndpointRegistration, clean: validation.EndpointData, parent: EndpointRegistration | None
) -> None:
    name, name_cipher = validation.encrypted_name(clean.holder_type, clean.holder_name)
    reg.kind = clean.kind
    reg.holder_type = clean.holder_type
    reg.holder_name = name
    reg.holder_name_encrypted = name_cipher
    reg.network = clean.network
    reg.ip_version = clean.ip_version
    reg.prefix_len = clean.prefix_len
    reg.range_start = clean.range_start
    reg.range_end = clean.range_end
    if clean.msisdn is not None:
        reg.msisdn_encrypted = pii.encrypt(clean.msisdn, purpose=validation.P_MSISDN)
        reg.msisdn_hmac = validation.msisdn_hash(clean.msisdn)
    else:
        reg.msisdn_encrypted = None
        reg.msisdn_hmac = None
    reg.delegated_from = parent
    reg.family = parent.family if parent is not None else reg.handle
    reg.content_hash = clean.content_hash()


@transaction.atomic
def endpoint_save(
    *, principal: Principal, licence: Licence, data: dict[str, Any], is_demo: bool = False
) -> tuple[EndpointRegistration, str]:
    """A licensee registers (or, by the same `ref`, updates) a prefix or mobile number: its
    gateways, or its subscribers' addresses. Active at once; refused with 409 when it overlaps
    another holder's active prefix (unless delegated from it) or reuses an active number."""
    require_licensee(principal, licence)
    try:
        clean = validation.clean_endpoint({**data, "action": RowAction.UPSERT})
    except RowError as exc:
        raise _row_error(exc) from None
    require_active_licence(licence)
    subscriber = None
    if clean.subscriber_ref:
        subscriber = Subscriber.objects.filter(licence=licence, ref=clean.subscriber_ref).first()
        if subscriber is None:
            raise InvalidInput(
                _("subscriber_ref: no subscriber %(ref)s of this licence")
                % {"ref": clean.subscriber_ref},
                details=[{"field": "subscriber_ref", "reason": _("no such subscriber")}],
            )
    parent = _parent_for(licence, clean.delegated_from)
    _check_delegation(clean, parent)
    reg = (
        EndpointRegistration.objects.select_for_update()
        .filter(licence=licence, ref=clean.ref)
        .first()
    )
    if reg is not None:
        if bytes(reg.content_hash) == clean.content_hash() and reg.status == EndpointStatus.ACTIVE:
            return reg, "unchanged"
        outside = (
            reg.delegations.filter(status=EndpointStatus.ACTIVE)
            .exclude(
                ip_version=clean.ip_version,
                range_start__gte=clean.range_start or b"",
                range_end__lte=clean.range_end or b"",
            )
            .first()
        )
        if outside is not None:
            raise Conflict(
                # Translators: %(delegation)s and %(handle)s are a delegated prefix and its handle;
                # %(parent)s the handle of the registration being changed.
                _(
                    "prefix: %(delegation)s (%(handle)s) is delegated from %(parent)s and would be "
                    "outside it; end or move it first"
                )
                % {"delegation": outside.network, "handle": outside.handle, "parent": reg.handle},
                code="delegation_outside",
                details=[{"field": "prefix", "reason": _("a delegation would be outside")}],
            )
        before = snapshot(reg, ENDPOINT_AUDIT)
        old_status = reg.status
        _apply_endpoint_values(reg, clean, parent)
        reg.subscriber = subscriber
        reg.status = EndpointStatus.ACTIVE
        reg.updated_at = timezone.now()
        if old_status != EndpointStatus.ACTIVE:
            reg.status_changed_at = reg.updated_at
        _save_active(reg, create=False)
        if old_status != EndpointStatus.ACTIVE:
            _event(reg, from_status=old_status, to_status=reg.status, actor=principal.actor)
        audit_record(
            actor=principal.actor,
            action="endpoint.update",
            obj=reg,
            before=before,
            after=snapshot(reg, ENDPOINT_AUDIT),
        )
        return reg, "updated"
    reg = EndpointRegistration(
        handle=validation.new_handle(),
        source=EndpointSource.LICENSEE,
        licence=licence,
        registrant_id=licence.holder_id,
        ref=clean.ref,
        subscriber=subscriber,
        status=EndpointStatus.ACTIVE,
        created_by_label=principal.actor.label[:255],
        is_demo=is_demo or licence.is_demo,
    )
    _apply_endpoint_values(reg, clean, parent)
    _save_active(reg, create=True)
    audit_record(
        actor=principal.actor,
        action="endpoint.create",
        obj=reg,
        after=snapshot(reg, ENDPOINT_AUDIT),
    )
    return reg, "created"


def _may_change_registration(principal: Principal, reg: EndpointRegistration) -> None:
    if reg.licence_id is not None:
        assert reg.licence is not None
        require_licensee(principal, reg.licence)
        return
    principal.require_scope("write")
    if principal.is_member(reg.registrant_id) or principal.has_role(
        StaffRole.ADMINISTRATOR, StaffRole.LICENSING_OFFICER
    ):
        return
    raise NotFound(_("Registration not found."))


@transaction.atomic
def endpoint_end(
    *, principal: Principal, registration: EndpointRegistration, reason: str = ""
) -> EndpointRegistration:
    """End an active (or withdraw a pending) registration. Never deleted: its history stays."""
    reg = (
        EndpointRegistration.objects.select_for_update(of=("self",))
        .select_related("licence")
        .get(pk=registration.pk)
    )
    _may_change_registration(principal, reg)
    if reg.status == EndpointStatus.ENDED:
        return reg
    if reg.status == EndpointStatus.REJECTED:
        raise IllegalTransition(
            _("%(handle)s was rejected; there is nothing to end.") % {"handle": reg.handle}
        )
    before = snapshot(reg, ENDPOINT_AUDIT)
    old = reg.status
    reg.status = EndpointStatus.ENDED
    reg.status_changed_at = reg.updated_at = timezone.now()
    reg.save(update_fields=["status", "status_changed_at", "updated_at"])
    _event(reg, from_status=old, to_status=reg.status, actor=principal.actor, reason=reason)
    audit_record(
        actor=principal.actor,
        action="endpoint.end",
        obj=reg,
        before=before,
        after=snapshot(reg, ENDPOINT_AUDIT),
        reason=reason,
    )
    return reg


# -- the legacy IP-registration portal -------------------------------------------------------------

PORTAL_APPLICANT_KINDS = frozenset(
    {
        OrganisationKind.COMPANY,
        OrganisationKind.SMC_PRIVATE,
        OrganisationKind.BANK,
        OrganisationKind.FOREIGN_MISSION,
        OrganisationKind.SOFTWARE_HOUSE,
        OrganisationKind.FREELANCER,
    }
)


PORTAL_OPEN_MESSAGE = gettext_noop(
    "Commercial entities register the static IP addresses (or mobile numbers) they use VPNs "
    "from; their internet service provider confirms each one."
)
PORTAL_CLOSED_MESSAGE = gettext_noop(
    "No registration is needed: under '%(regime)s' (in force on %(day)s) users need no "
    "separate registration of IP addresses or mobile numbers. Use a VPN service of a licensed "
    "provider (%(providers)s); the register at /register lists them."
)


def portal_closed_message(regime: Regime | None, day: dt.date, *, translated: bool = False) -> str:
    """Why the portal takes no requests: in English (the API's and the errors' message), or in
    the language of the page (`translated`, with the regime's name in that language if it has one)."""
    from cvas.licensing.models import Brand

    t = gettext if translated else str
    lang = (get_language() or "en").split("-")[0] if translated else "en"
    brands = sorted(
        Brand.objects.filter(licence__status=LicenceStatus.ACTIVE).values_list("name", flat=True)
    )
    providers = (
        ", ".join(brands) if brands else t(gettext_noop("see the register of licensed providers"))
    )
    if regime is None:
        name = t(gettext_noop("no regime"))
    else:
        name = str(getattr(regime, f"name_{lang}", "") or regime.name_en)
    return t(PORTAL_CLOSED_MESSAGE) % {
        "regime": name,
        "day": f"{day:%Y-%m-%d}",
        "providers": providers,
    }


def _require_portal_open(day: dt.date) -> Regime:
    regime = regime_in_force(day)
    if regime is None or not regime.end_user_registration_required:
        raise Conflict(
            portal_closed_message(regime, day, translated=True), code="registration_not_required"
        )
    return regime


def _portal_item(text: str, index: int) -> validation.EndpointData:
    field = f"addresses[{index}]"
    raw = str(text or "").strip()
    try:
        if any(ch in raw for ch in ".:/"):
            return validation.clean_endpoint(
                {"prefix": raw, "holder_type": "organisation", "holder_name": "-"},
                ref_required=False,
            )
        return validation.clean_endpoint(
            {"msisdn": raw, "holder_type": "organisation", "holder_name": "-"}, ref_required=False
        )
    except RowError as exc:
        raise InvalidInput(
            validation.field_message(field, exc.reason),
            details=[{"field": field, "reason": exc.reason}],
        ) from None


@transaction.atomic
def portal_request_create(
    *,
    principal: Principal,
    applicant: Organisation,
    isp: Organisation,
    responsible_name: str,
    responsible_cnic: str,
    addresses: list[str],
    purpose: str = "",
    today: dt.date | None = None,
    is_demo: bool = False,
) -> PortalRequest:
    """A holder applies to register its static IP addresses (or mobile numbers where it has none),
    naming its internet service provider, who will confirm each one."""
    principal.require_scope("write")
    principal.require_member(applicant)
    assert principal.user is not None
    day = today or pk_today()
    regime = _require_portal_open(day)
    if applicant.kind not in PORTAL_APPLICANT_KINDS:
        raise InvalidInput(
            _(
                "applicant: the portal is for companies, software houses, freelancers, banks and "
                "foreign missions"
            ),
            details=[{"field": "applicant", "reason": _("not an eligible kind of organisation")}],
        )
    if isp.kind != OrganisationKind.NETWORK_OPERATOR:
        raise InvalidInput(
            _("isp: %(name)s is not a network operator (internet service provider)")
            % {"name": isp.name},
            details=[{"field": "isp", "reason": _("not a network operator")}],
        )
    try:
        name = validation.clean_name(responsible_name, "responsible_name")
        cnic = validation.clean_cnic(responsible_cnic, "responsible_cnic")
    except RowError as exc:
        raise _row_error(exc) from None
    if not addresses:
        raise InvalidInput(
            _("addresses: list at least one address, prefix or mobile number"),
            details=[{"field": "addresses", "reason": _("required")}],
        )
    if len(addresses) > PORTAL_MAX_ITEMS:
        raise InvalidInput(
            _("addresses: at most %(count)s") % {"count": PORTAL_MAX_ITEMS},
            details=[{"field": "addresses", "reason": _("too many")}],
        )
    items = [_portal_item(a, i) for i, a in enumerate(addresses)]
    seen: set[str] = set()
    for i, item in enumerate(items):
        key = item.network or item.msisdn or ""
        if key in seen:
            raise InvalidInput(
                # Translators: %(field)s is the list's field and position, e.g. addresses[2].
                _("%(field)s: listed twice") % {"field": f"addresses[{i}]"},
                details=[{"field": f"addresses[{i}]", "reason": _("duplicate")}],
            )
        seen.add(key)
    req = PortalRequest.objects.create(
        reference=f"TMP-{timezone.now().timestamp()}",
        applicant=applicant,
        isp=isp,
        regime=regime,
        purpose=str(purpose or "").strip()[:2000],
        responsible_name_encrypted=pii.encrypt(name, purpose=validation.P_NAME),
        responsible_cnic_encrypted=pii.encrypt(cnic, purpose=validation.P_CNIC),
        responsible_cnic_hmac=validation.identity_hash("cnic", cnic),
        created_by=principal.user,
        filed_on=day,
        is_demo=is_demo or applicant.is_demo,
    )
    req.reference = f"IPR-{day.year}-{req.pk:06d}"
    req.save(update_fields=["reference"])
    for item in items:
        clean = validation.EndpointData(
            ref="",
            action=RowAction.UPSERT,
            kind=item.kind,
            network=item.network,
            ip_version=item.ip_version,
            prefix_len=item.prefix_len,
            range_start=item.range_start,
            range_end=item.range_end,
            msisdn=item.msisdn,
            holder_type=HolderType.ORGANISATION,
            holder_name=applicant.name,
        )
        reg = EndpointRegistration(
            handle=validation.new_handle(),
            source=EndpointSource.PORTAL,
            registrant=applicant,
            holder_organisation=applicant,
            status=EndpointStatus.PENDING,
            created_by_label=principal.actor.label[:255],
            is_demo=req.is_demo,
        )
        _apply_endpoint_values(reg, clean, None)
        reg.save(force_insert=True)
        PortalItem.objects.create(request=req, registration=reg)
    audit_record(
        actor=principal.actor,
        action="portal.create",
        obj=req,
        after={
            **snapshot(req, PORTAL_AUDIT),
            "items": [i.network or "mobile number (masked)" for i in items],
        },
    )
    return req


def _lock_request(req: PortalRequest) -> PortalRequest:
    return (
        PortalRequest.objects.select_for_update()
        .select_related("applicant", "isp", "regime")
        .get(pk=req.pk)
    )


@transaction.atomic
def portal_document_add(
    *, principal: Principal, request: PortalRequest, kind: str, upload: UploadedFile
) -> PortalDocument:
    principal.require_scope("write")
    principal.require_member(request.applicant_id)
    req = _lock_request(request)
    if req.state != PortalState.DRAFT:
        raise IllegalTransition(
            _("%(reference)s has been submitted; documents can no longer change.")
            % {"reference": req.reference}
        )
    if kind not in PortalDocumentKind.values:
        raise InvalidInput(
            # Translators: %(values)s lists the kinds the field accepts (in English).
            _("kind: one of %(values)s") % {"values": ", ".join(PortalDocumentKind.values)},
            details=[{"field": "kind", "reason": _("unknown document kind")}],
        )
    if upload.file is None:
        raise InvalidInput(
            _("file: required"), details=[{"field": "file", "reason": _("required")}]
        )
    sha = check_pdf(upload.file, size=upload.size or 0)
    assert principal.user is not None
    doc = PortalDocument(
        request=req,
        kind=kind,
        original_name=safe_display_name(upload.name or "document.pdf"),
        size=upload.size or 0,
        sha256=sha,
        uploaded_by=principal.user,
    )
    doc.file.save("document.pdf", upload, save=False)
    try:
        doc.save()
    except Exception:
        doc.file.delete(save=False)
        raise
    audit_record(
        actor=principal.actor,
        action="portal.document_add",
        obj=doc,
        after=snapshot(doc, ["request", "kind", "original_name", "size", "sha256"]),
    )
    return doc


def portal_missing_documents(req: PortalRequest) -> list[str]:
    present = set(req.documents.values_list("kind", flat=True))
    needed = list(PORTAL_REQUIRED_DOCUMENTS)
    if req.applicant.kind in SEB_KINDS:
        needed.append(PortalDocumentKind.SEB_CERTIFICATE)
    return [str(k) for k in needed if k not in present]


def _isp_recipients(isp_id: int) -> list[str]:
    emails = list(
        Membership.objects.filter(organisation_id=isp_id).values_list("user__email", flat=True)
    )
    contact = Organisation.objects.filter(pk=isp_id).values_list("contact_email", flat=True).first()
    return [*emails, contact or ""]


@transaction.atomic
def portal_request_submit(
    *, principal: Principal, request: PortalRequest, today: dt.date | None = None
) -> PortalRequest:
    principal.require_scope("write")
    principal.require_member(request.applicant_id)
    req = _lock_request(request)
    if req.state != PortalState.DRAFT:
        raise IllegalTransition(
            # Translators: %(state)s is the request's state in lower case (e.g. decided).
            _("%(reference)s is %(state)s.")
            % {"reference": req.reference, "state": _(req.get_state_display()).lower()}
        )
    _require_portal_open(today or pk_today())
    missing = portal_missing_documents(req)
    if missing:
        raise InvalidInput(
            # Translators: %(documents)s lists the documents still missing, separated by commas.
            _("%(reference)s: upload %(documents)s")
            % {
                "reference": req.reference,
                "documents": ", ".join(_(PortalDocumentKind(k).label) for k in missing),
            },
            code="incomplete_request",
            details=[{"field": f"documents.{k}", "reason": _("required (PDF)")} for k in missing],
        )
    before = snapshot(req, PORTAL_AUDIT)
    req.state = PortalState.SUBMITTED
    req.submitted_at = timezone.now()
    req.save(update_fields=["state", "submitted_at"])
    audit_record(
        actor=principal.actor,
        action="portal.submit",
        obj=req,
        before=before,
        after=snapshot(req, PORTAL_AUDIT),
    )
    notify(
        recipients=_isp_recipients(req.isp_id),
        subject=f"[CVAS Registry] {req.reference}: please confirm your subscriber's addresses",
        body=(
            f"{req.applicant.name} names you as its internet service provider in request "
            f"{req.reference}. Confirm or dispute each address at "
            f"{settings.SITE_URL}/registry/portal/{req.pk}/\n"
        ),
    )
    return req


@transaction.atomic
def portal_item_verify(
    *, principal: Principal, item: PortalItem, verdict: str, note: str = ""
) -> PortalItem:
    """The named provider's member confirms or disputes that an address is its subscriber's."""
    principal.require_scope("write")
    req = _lock_request(item.request)
    if req.isp_id not in principal.network_operator_ids:
        raise NotFound(_("Request not found."))
    if req.state != PortalState.SUBMITTED:
        raise IllegalTransition(
            _("%(reference)s is %(state)s; verdicts are closed.")
            % {"reference": req.reference, "state": _(req.get_state_display()).lower()}
        )
    if verdict not in (IspVerdict.CONFIRMED, IspVerdict.DISPUTED):
        raise InvalidInput(
            # Translators: confirmed and disputed are the field's values; keep them in English.
            _("verdict: confirmed or disputed"),
            details=[{"field": "verdict", "reason": _("must be confirmed or disputed")}],
        )
    if verdict == IspVerdict.DISPUTED and not note.strip():
        raise InvalidInput(
            _("note: say why the address is disputed"),
            details=[{"field": "note", "reason": _("required when disputing")}],
        )
    it = PortalItem.objects.select_for_update().get(pk=item.pk)
    before = snapshot(it, ["isp_verdict", "isp_note"])
    it.isp_verdict = verdict
    it.isp_note = note.strip()[:2000]
    it.isp_by_label = principal.actor.label[:255]
    it.isp_at = timezone.now()
    it.save()
    audit_record(
        actor=principal.actor,
        action=f"portal.item_{verdict}",
        obj=it,
        before=before,
        after=snapshot(it, ["isp_verdict", "isp_note"]),
    )
    if not req.items.filter(isp_verdict=IspVerdict.PENDING).exists():
        req.state = PortalState.VERIFIED
        req.save(update_fields=["state"])
        audit_record(
            actor=principal.actor,
            action="portal.verified",
            obj=req,
            after=snapshot(req, PORTAL_AUDIT),
        )
    return it


def portal_fee(regime: Regime, approved: int) -> dict[str, Any]:
    """The fee for the approved addresses, from the regime's data (e.g. free for the first four)."""
    schedule = (regime.fees or {}).get("ip_registration") or {}
    free = int(schedule.get("free_addresses", 0))
    each = int(schedule.get("fee_per_address_pkr", 0))
    billable = max(0, approved - free)
    return {
        "addresses": approved,
        "free_addresses": free,
        "billable_addresses": billable,
        "fee_per_address_pkr": each,
        "total_pkr": billable * each,
        "assumption": regime.is_assumption("fees"),
    }


@transaction.atomic
def portal_request_decide(
    *, principal: Principal, request: PortalRequest, approve: list[int], reason: str
) -> PortalRequest:
    """Staff decide what remains: approved items (confirmed by the provider) become active
    registrations; every other item is rejected. The fee follows from the regime's data."""
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER, StaffRole.ADMINISTRATOR)
    req = _lock_request(request)
    if req.state != PortalState.VERIFIED:
        raise IllegalTransition(
            _(
                "%(reference)s is %(state)s; it can be decided once the provider has answered for "
                "every address."
            )
            % {"reference": req.reference, "state": _(req.get_state_display()).lower()}
        )
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(
            _("reason: required"), details=[{"field": "reason", "reason": _("required")}]
        )
    items = list(
        req.items.select_related("registration").select_for_update(of=("self", "registration"))
    )
    ids = {i.pk for i in items}
    unknown = sorted(set(approve) - ids)
    if unknown:
        raise InvalidInput(
            # Translators: %(items)s is a list of item numbers, e.g. [12, 15].
            _("approve: items %(items)s are not in %(reference)s")
            % {"items": unknown, "reference": req.reference},
            details=[{"field": "approve", "reason": _("not an item of this request")}],
        )
    approved = 0
    for item in items:
        reg = item.registration
        wanted = item.pk in approve
        if wanted and item.isp_verdict != IspVerdict.CONFIRMED:
            raise InvalidInput(
                _("approve: %(prefix)s was disputed by the provider") % {"prefix": reg.network}
                if reg.network
                else _("approve: the mobile number was disputed by the provider"),
                details=[
                    {
                        "field": "approve",
                        "reason": _("item %(item)s disputed") % {"item": item.pk},
                    }
                ],
            )
        to = EndpointStatus.ACTIVE if wanted else EndpointStatus.REJECTED
        reg.status = to
        reg.status_changed_at = reg.updated_at = timezone.now()
        if wanted:
            _save_active(reg, create=False)
            approved += 1
        else:
            reg.save()
        _event(
            reg,
            from_status=EndpointStatus.PENDING,
            to_status=to,
            actor=principal.actor,
            reason=text,
        )
    before = snapshot(req, PORTAL_AUDIT)
    req.state = PortalState.DECIDED
    req.decided_at = timezone.now()
    req.decided_by_label = principal.actor.label[:255]
    req.decision_reason = text
    req.fee = portal_fee(req.regime, approved)
    req.save()
    audit_record(
        actor=principal.actor,
        action="portal.decide",
        obj=req,
        before=before,
        after=snapshot(req, PORTAL_AUDIT),
        reason=text,
    )
    notify(
        recipients=[req.created_by.email, req.applicant.contact_email],
        subject=f"[CVAS Registry] {req.reference}: decided",
        body=f"{approved} of {len(items)} addresses registered. Fee: PKR {req.fee['total_pkr']:,}.\n",
    )
    return req


# -- imports ---------------------------------------------------------------------------------------


def import_create(
    *,
    principal: Principal,
    licence: Licence,
    kind: str,
    upload: IO[bytes],
    name: str,
    replace: bool = False,
) -> ImportRun:
    """Accept a file for the worker: stored under the upload directory, queued, 202."""
    from django.core.files import File

    from cvas.registry.tasks import run_import

    require_licensee(principal, licence)
    if kind not in ImportKind.values:
        raise InvalidInput(
            # Translators: endpoints and subscribers are the field's values; keep them in English.
            _("kind: endpoints or subscribers"),
            details=[{"field": "kind", "reason": _("unknown kind")}],
        )
    # Within the import limit, and a text file by its content (cvas.core.uploads).
    upload.seek(0, 2)
    check_text(upload, size=upload.tell(), limit=settings.CVAS_IMPORT_MAX_BYTES)
    with transaction.atomic():
        run = ImportRun.objects.create(
            licence=licence,
            kind=kind,
            replace=replace,
            original_name=safe_display_name(name or "import.csv")[:200],
            requested_by=principal.user,
            actor_label=principal.actor.label[:255],
            via=principal.actor.via,
        )
        run.file.save(f"{run.pk}.csv", File(upload), save=False)
        run.size = run.file.size
        run.save(update_fields=["file", "size"])
        result = run_import.enqueue(import_id=run.pk)
        run.job_id = str(result.id)
        run.save(update_fields=["job_id"])
    return run


def import_start(
    *, principal: Principal, licence: Licence, kind: str, replace: bool = False, name: str = ""
) -> ImportRun:
    """An import run now, by this process (`cvas import`)."""
    require_licensee(principal, licence)
    return ImportRun.objects.create(
        licence=licence,
        kind=kind,
        replace=replace,
        original_name=safe_display_name(name or "import.csv")[:200],
        requested_by=principal.user,
        actor_label=principal.actor.label[:255],
        via=principal.actor.via,
    )


def import_execute(*, run: ImportRun, stream: IO[bytes], progress: Any = None) -> ImportRun:
    """Run an import to its end: every row checked, then all of it applied in one transaction or
    none of it. The outcome (counts, errors) is kept on the run; one audit event per import."""
    from cvas.registry.imports import execute

    return execute(run=run, stream=stream, progress=progress)


IMPORT_INTERRUPTED = (
    "The import was interrupted: the process running it stopped before it finished. Nothing was "
    "changed; send the file again."
)


def import_recover_interrupted(
    *, actor: Actor, runs: list[ImportRun] | None = None
) -> list[ImportRun]:
    """Imports left "running" by a process that is gone (killed, crashed, its machine restarted)
    are marked failed: their transaction never committed, so nothing was changed. The stored file
    (personal data in clear) is deleted, the worker's job is marked failed too, and one audit event
    is written per run. Only runs that are not a success can be `same_as`, so the same file sent
    again is imported afresh. `runs` limits the check to those (a page showing them); by default
    every running import is checked (`cvas tick`, and `cvas worker` when it starts)."""
    from cvas.jobs.services import job_mark_failed
    from cvas.registry import liveness

    if runs is None:
        candidates = list(ImportRun.objects.filter(status=ImportStatus.RUNNING).order_by("pk"))
    else:
        candidates = [r for r in runs if r.status == ImportStatus.RUNNING]
    now = timezone.now()
    found = []
    for run in candidates:
        if liveness.is_running(run, now=now):
            continue
        with transaction.atomic():
            # Only if still running: a run that finished meanwhile keeps its own outcome.
            changed = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED,
                message=IMPORT_INTERRUPTED,
                finished_at=now,
                same_as=None,
                created=0,
                updated=0,
                ended=0,
                unchanged=0,
                file="",
            )
            if not changed:
                continue
            if run.file:
                run.file.delete(save=False)
            if run.job_id:
                job_mark_failed(run.job_id, liveness.ImportInterrupted(IMPORT_INTERRUPTED))
            audit_record(
                actor=actor,
                action="import.interrupted",
                obj=run,
                after={
                    "licence": run.licence_id,
                    "kind": run.kind,
                    "started_at": run.started_at.isoformat() if run.started_at else None,
                    "host": run.host,
                    "pid": run.pid,
                },
            )
        run.refresh_from_db()
        found.append(run)
    return found


def import_check_interrupted(run: ImportRun) -> ImportRun:
    """The run as it stands, marked failed first if it was left running by a process now gone
    (for whoever is watching it, without waiting for `cvas tick`)."""
    if run.status == ImportStatus.RUNNING:
        import_recover_interrupted(actor=Actor.system("import recovery"), runs=[run])
        run.refresh_from_db()
    return run


def tick_recover_interrupted_imports(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: imports whose process died part-way are marked failed (nothing changed)."""
    from cvas.core.tick import StepResult

    runs = import_recover_interrupted(actor=actor)
    line = f"{len(runs)} interrupted import(s) marked failed"
    if runs:
        line += ": " + ", ".join(f"#{r.pk}" for r in runs)
    return StepResult(name="interrupted imports", lines=[line])


def _vendor() -> str:
    return connection.vendor


__all__ = ["ImportStatus"]
