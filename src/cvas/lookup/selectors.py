"""Reads for lookup: who may see what, and the answers for one address, many addresses, a prefix
and a holder.

What each asker sees (DESIGN.md, "Personal data"):
- the public: licensees' gateways and organisations' registrations; an address held by an
  individual is answered as if that registration did not exist (the enclosing organisation's
  registration, if any, or "not registered");
- network operators (members of a network-operator organisation) and regulator staff: every
  registration; an individual's is shown as held by "an individual", without identity;
- a licensee (a member of the licence holder): its own licences' individuals too;
- the individual's identity (name): only the licensee that reported it and regulator staff.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from cvas.accounts.principal import Principal
from cvas.core import pii
from cvas.core.errors import Forbidden, InvalidInput, NotFound
from cvas.licensing import selectors as licensing_selectors
from cvas.lookup import netkeys
from cvas.lookup.index import FULL, PUBLIC, AnyRecord, Holder, Record
from cvas.lookup.runtime import RUNTIME, LicenceInfo, Snapshot

BATCH_LIMIT = 10_000


@dataclass(frozen=True)
class View:
    """What one asker may see."""

    mask: int  # PUBLIC or FULL: the fast path's filter
    staff: bool = False
    operator: bool = False
    organisations: frozenset[int] = frozenset()  # the asker's organisations (licence holders)

    @property
    def label(self) -> str:
        if self.staff:
            return "staff"
        if self.operator:
            return "network_operator"
        return "licensee" if self.organisations else "public"

    def sees(self, rec: AnyRecord, licences: dict[int, LicenceInfo]) -> bool:
        if not rec.individual or self.mask == FULL:
            return True
        lic = licences.get(rec.licence_id) if rec.licence_id is not None else None
        return lic is not None and lic.holder_id in self.organisations

    def sees_identity(self, rec: AnyRecord, licences: dict[int, LicenceInfo]) -> bool:
        if not rec.individual:
            return False
        if self.staff:
            return True
        lic = licences.get(rec.licence_id) if rec.licence_id is not None else None
        return lic is not None and lic.holder_id in self.organisations


PUBLIC_VIEW = View(mask=PUBLIC)


def view_for(principal: Principal) -> View:
    staff = principal.is_staff_reader or principal.operator is not None
    operator = bool(principal.network_operator_ids)
    if staff or operator:
        return View(
            mask=FULL, staff=staff, operator=operator, organisations=principal.organisation_ids
        )
    if principal.organisation_ids:
        return View(mask=PUBLIC, organisations=principal.organisation_ids)
    return PUBLIC_VIEW


def require_distribution(principal: Principal) -> View:
    """Batch lookups, exports and the change feed: network operators (with the `lookup` scope
    on an API key) and regulator staff."""
    principal.require_scope("lookup")
    view = view_for(principal)
    if not (view.staff or view.operator):
        raise Forbidden(
            "Batch lookups, exports and the change feed are for network operators "
            "(members of a network-operator organisation) and regulator staff.",
            code="not_network_operator",
        )
    return view


# -- answers ---------------------------------------------------------------------------------------


def find(
    view: View, snap: Snapshot, version: int, value: int, *, maxlen: int = 128
) -> AnyRecord | None:
    """The most specific registration covering `value` (length at most `maxlen`) that `view`
    may see."""
    if view.mask == FULL or not view.organisations:
        return snap.index.find(version, value, mask=view.mask, maxlen=maxlen)
    for rec in snap.index.covering(version, value, maxlen=maxlen):
        if view.sees(rec, snap.licences):
            return rec
    return None


def iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat().replace("+00:00", "Z")


def licence_summary(
    licence_id: int | None, licences: dict[int, LicenceInfo]
) -> dict[str, Any] | None:
    if licence_id is None:
        return None
    lic = licences.get(licence_id)
    if lic is None:
        return None
    return {"number": lic.number, "holder": lic.holder, "status": lic.status}


def individual_name(registration_id: int) -> str | None:
    from cvas.registry.models import EndpointRegistration
    from cvas.registry.validation import P_NAME

    blob = (
        EndpointRegistration.objects.filter(pk=registration_id)
        .values_list("holder_name_encrypted", flat=True)
        .first()
    )
    return pii.decrypt(blob, purpose=P_NAME) if blob else None


def answer(
    rec: AnyRecord, view: View, licences: dict[int, LicenceInfo], address: str | None = None
) -> dict[str, Any]:
    """A registration as a lookup answers with it."""
    if rec.individual:
        holder = individual_name(rec.registration_id) if view.sees_identity(rec, licences) else None
    else:
        holder = rec.holder.name
    out: dict[str, Any] = {
        "registered": True,
        "prefix": rec.prefix,
        "ip_version": rec.version,
        "handle": rec.handle,
        "holder_type": rec.holder.holder_type,
        "holder": holder,
        "licence": licence_summary(rec.licence_id, licences),
        "registered_since": iso(rec.since),
    }
    if address is not None:
        out = {"address": address, **out}
    return out


def not_registered(address: str) -> NotFound:
    return NotFound(f"{address} is not registered.", code="not_registered")


def lookup_address(principal: Principal, text: str) -> dict[str, Any]:
    """`GET /lookup/ip/{address}`: the answer, or NotFound (code not_registered)."""
    view = view_for(principal)
    address = (text or "").strip()
    version, value = netkeys.address_or_error(address)
    snap = RUNTIME.snapshot()
    rec = find(view, snap, version, value)
    if rec is None:
        raise not_registered(address)
    return answer(rec, view, snap.licences, address)


def lookup_batch(principal: Principal, addresses: list[str]) -> list[dict[str, Any]]:
    """`POST /lookup/ip`: one answer per address, in order; a bad address is answered as such."""
    view = require_distribution(principal)
    if len(addresses) > BATCH_LIMIT:
        raise InvalidInput(
            f"addresses: at most {BATCH_LIMIT:,} in one request",
            details=[{"field": "addresses", "reason": f"at most {BATCH_LIMIT}"}],
        )
    texts = [str(a).strip() for a in addresses]
    snap = RUNTIME.snapshot()
    results = snap.index.lookup_many(texts, mask=view.mask)
    out: list[dict[str, Any]] = []
    for text, rec in zip(texts, results, strict=True):
        if rec is False:
            out.append(
                {
                    "address": text,
                    "registered": False,
                    "prefix": None,
                    "error": "not an IPv4 or IPv6 address",
                }
            )
        elif rec is None or rec is True:
            out.append({"address": text, "registered": False, "prefix": None})
        else:
            out.append(answer(rec, view, snap.licences, text))
    return out


def lookup_texts(view: View, texts: list[str]) -> list[tuple[str, AnyRecord | bool | None]]:
    """For the command line: (address, record, None when not registered, False when not an
    address), through the same index."""
    snap = RUNTIME.snapshot(background=False)
    return list(zip(texts, snap.index.lookup_many(texts, mask=view.mask), strict=True))


# -- prefixes and holders --------------------------------------------------------------------------


def _record_of(reg: Any) -> Record:
    org = reg.holder_organisation_id
    return Record(
        registration_id=reg.pk,
        handle=reg.handle,
        version=reg.ip_version,
        network=int.from_bytes(bytes(reg.range_start), "big"),
        prefix_len=reg.prefix_len,
        holder=Holder("organisation", reg.holder_name, org)
        if reg.holder_type == "organisation"
        else Holder("individual", "", None),
        licence_id=reg.licence_id,
        since=int(reg.status_changed_at.timestamp()),
    )


def _visible_q(view: View) -> Q:
    if view.mask == FULL:
        return Q()
    public = Q(holder_type="organisation")
    if view.organisations:
        return public | Q(licence__holder_id__in=view.organisations)
    return public


def prefix_query(
    principal: Principal, text: str, *, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """Everything registered inside a prefix (itself included), and the most specific
    registration covering all of it."""
    from cvas.registry.models import EndpointRegistration

    view = view_for(principal)
    version, start, length = netkeys.parse_prefix(text)
    end = start | netkeys.host_mask(version, length)
    snap = RUNTIME.snapshot()
    covering = find(view, snap, version, start, maxlen=length)
    qs = (
        EndpointRegistration.objects.filter(
            kind="prefix",
            status="active",
            ip_version=version,
            range_start__gte=netkeys.to_bytes(version, start),
            range_start__lte=netkeys.to_bytes(version, end),
            prefix_len__gte=length,
        )
        .filter(_visible_q(view))
        .order_by("range_start", "prefix_len", "id")
    )
    rows = list(qs[offset : offset + limit])
    return {
        "prefix": netkeys.format_prefix(version, start, length),
        "covering": answer(covering, view, snap.licences) if covering is not None else None,
        "items": [answer(_record_of(r), view, snap.licences) for r in rows],
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
    }


def holder_query(
    principal: Principal,
    *,
    organisation: int | None = None,
    name: str | None = None,
    subscriber: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Reverse lookup: every active registration of one holder. An organisation by id or exact
    name (case ignored) is public; a subscriber's (an individual's) only for its licensee and
    staff."""
    given = [
        k
        for k, v in (("organisation", organisation), ("name", name), ("subscriber", subscriber))
        if v
    ]
    if len(given) != 1:
        raise InvalidInput(
            "Give exactly one of organisation, name or subscriber.",
            details=[
                {"field": "organisation|name|subscriber", "reason": "exactly one is required"}
            ],
        )
    view = view_for(principal)
    snap = RUNTIME.snapshot()
    if subscriber:
        records, label = _subscriber_records(principal, view, subscriber)
    else:
        wanted_name = (name or "").strip().casefold()
        if organisation:
            from cvas.accounts.models import Organisation

            org = Organisation.objects.filter(pk=organisation).first()
            if org is None:
                raise NotFound("Organisation not found.")
            wanted_name, label = org.name.casefold(), org.name
        else:
            label = (name or "").strip()
        holders = {
            h
            for h in [
                *snap.index.cols.holders,
                *(r.holder for r in snap.index.overlay.by_id.values()),
            ]
            if h.holder_type == "organisation"
            and (
                h.name.casefold() == wanted_name
                or (organisation and h.organisation_id == organisation)
            )
        }
        records = snap.index.holder_records(holders, mask=FULL)
    records.sort(key=lambda r: (r.version, r.network, r.prefix_len, r.registration_id))
    page = records[offset : offset + limit]
    return {
        "holder": label,
        "items": [answer(r, view, snap.licences) for r in page],
        "count": len(records),
        "limit": limit,
        "offset": offset,
    }


def _subscriber_records(
    principal: Principal, view: View, subscriber: int
) -> tuple[list[AnyRecord], str]:
    from cvas.registry.models import EndpointRegistration, Subscriber
    from cvas.registry.services import require_licensee

    sub = Subscriber.objects.select_related("licence").filter(pk=subscriber).first()
    if sub is None:
        raise NotFound("Subscriber not found.")
    require_licensee(principal, sub.licence, scope="read")
    regs = EndpointRegistration.objects.filter(subscriber=sub, kind="prefix", status="active")
    return [_record_of(r) for r in regs], f"subscriber {sub.ref}"


# -- verify ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressVerification:
    """`GET /verify?address=`: the lookup in the words of the foundation's verify."""

    query: str
    matched: str | None
    licence: Any  # a Licence, or None
    registered: bool
    kind: str = "address"

    @property
    def licensed(self) -> bool:
        return self.licence is not None and self.licence.status == "active"

    @property
    def status(self) -> str:
        return str(self.licence.status) if self.licence is not None else "not_licensed"

    @property
    def message(self) -> str:
        if not self.registered:
            return (
                f"{self.query} is not registered: no licensed provider's gateway and no "
                "registered organisation holds it."
            )
        if self.licence is None:
            return (
                f"{self.query} is registered ({self.matched}) through the IP-registration portal; "
                "it is not a licensed VPN provider's address."
            )
        holder = self.licence.holder.name
        number = (
            f"licence {self.licence.number}"
            if self.licence.number
            else "licence (number not published)"
        )
        state = {
            "active": "active",
            "suspended": "suspended: NOT currently licensed",
            "revoked": "revoked: NOT licensed",
            "expired": "expired: NOT licensed",
        }.get(str(self.licence.status), f"{self.licence.status}: NOT licensed")
        return (
            f"{self.query} is registered ({self.matched}) under {holder}'s CVAS-Data class "
            f"{number}, {state}."
        )


def verify_address(text: str) -> AddressVerification:
    """Is this address a licensed provider's or a registered organisation's? The registry's index
    answers (the public view: an individual's address is "not registered"); failing that, the
    gateway prefixes declared in licence applications."""
    from cvas.licensing.models import Licence

    address = (text or "").strip()
    version, value = netkeys.address_or_error(address)
    snap = RUNTIME.snapshot()
    rec = find(PUBLIC_VIEW, snap, version, value)
    if rec is None:
        host = (
            ipaddress.IPv4Network((value, 32))
            if version == 4
            else ipaddress.IPv6Network((value, 128))
        )
        declared = licensing_selectors.declared_gateway(host)
        if declared is not None:
            prefix, declaring = declared
            matched = _("%(prefix)s, a gateway prefix declared in its licence application") % {
                "prefix": prefix
            }
            return AddressVerification(
                query=address, matched=matched, licence=declaring, registered=True
            )
        return AddressVerification(query=address, matched=None, licence=None, registered=False)
    licence = (
        Licence.objects.select_related("holder", "regime").filter(pk=rec.licence_id).first()
        if rec.licence_id is not None
        else None
    )
    matched = _("%(prefix)s, %(handle)s, held by %(holder)s") % {
        "prefix": rec.prefix,
        "handle": rec.handle,
        "holder": rec.holder.name,
    }
    return AddressVerification(query=address, matched=matched, licence=licence, registered=True)
