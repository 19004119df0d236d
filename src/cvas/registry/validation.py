"""The rules every subscriber and endpoint record passes, one function per field, shared by the
single-record services and the bulk import (so a row of a file is judged exactly as a form is)."""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cvas.core import pii
from cvas.core.errors import DomainError, InvalidInput
from cvas.core.netaddr import parse_public_prefix, prefix_bounds
from cvas.licensing.choices import SubscriberCategory
from cvas.licensing.models import Regime
from cvas.registry.choices import EndpointKind, HolderType, IdentityKind, RowAction

REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]{0,63}$")
CNIC = re.compile(r"^(\d{5})-?(\d{7})-?(\d)$")
NTN = re.compile(r"^(\d{7})-?(\d)$")
# RFC 4648 base32 (fast, in C) turned into Crockford's alphabet (no I, L, O or U to misread).
_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)
_CONTROL = re.compile(r"[\x00-\x1f]")
# Sets, not the choices' `.values` (a list built on every access): these run once per row.
ROW_ACTIONS = frozenset(RowAction.values)
HOLDER_TYPES = frozenset(HolderType.values)
CATEGORIES = frozenset(SubscriberCategory.values)

# Purposes bind each ciphertext and lookup hash to its column (see cvas.core.pii).
P_CNIC = "identity.cnic"
P_NTN = "identity.ntn"
P_MSISDN = "msisdn"
P_NAME = "person.name"


class RowError(Exception):
    """One field of one record is wrong: which field, and why (never the personal value itself)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def as_domain_error(self) -> InvalidInput:
        return InvalidInput(
            field_message(self.field, self.reason),
            details=[{"field": self.field, "reason": self.reason}],
        )


def field_message(field: str, reason: str) -> str:
    """ "field: reason", the message of an error about one field (the reason already translated)."""
    # Translators: %(field)s is the name of a form or file field as the API spells it (e.g.
    # responsible_cnic, addresses[0]); leave it as it is. %(reason)s is what is wrong with it.
    return _("%(field)s: %(reason)s") % {"field": field, "reason": reason}


def new_handle(prefix: str = "EP") -> str:
    """A public, stable handle: 80 random bits as 16 characters of Crockford base32."""
    return prefix + "-" + base64.b32encode(secrets.token_bytes(10)).translate(_CROCKFORD).decode()


def clean_ref(value: Any, field: str = "ref") -> str:
    text = str(value or "").strip()
    if not text:
        raise RowError(field, _("required"))
    if not REF.match(text):
        raise RowError(
            field,
            _(
                "1 to 64 characters: letters, digits and . _ : / - (starting with a letter or digit)"
            ),
        )
    return text


def clean_action(value: Any) -> str:
    text = str(value or "").strip().lower() or RowAction.UPSERT
    if text not in ROW_ACTIONS:
        raise RowError(
            "action",
            # Translators: upsert and end are values of the action column; leave them in English.
            _("must be upsert or end, not %(value)s") % {"value": repr(text[:20])},
        )
    return text


def clean_holder_type(value: Any, field: str) -> str:
    text = str(value or "").strip().lower()
    if text not in HOLDER_TYPES:
        raise RowError(
            field,
            # Translators: organisation and individual are values of the column; keep them in English.
            _("must be organisation or individual"),
        )
    return text


def clean_category(value: Any) -> str:
    text = str(value or "").strip().lower()
    if text not in CATEGORIES:
        raise RowError(
            "category",
            # Translators: %(values)s lists the values the column accepts (in English).
            _("must be one of %(values)s") % {"values": ", ".join(SubscriberCategory.values)},
        )
    return text


def clean_name(value: Any, field: str, *, required: bool = True) -> str:
    text = pii.normalise_name(str(value or ""))
    if not text:
        if required:
            raise RowError(field, _("required"))
        return ""
    if len(text) > 200:
        raise RowError(field, _("at most 200 characters"))
    if _CONTROL.search(text):
        raise RowError(field, _("control characters are not allowed"))
    return text


def clean_cnic(value: Any, field: str = "cnic") -> str:
    """A CNIC as #####-#######-# (13 digits; the dashes may be left out)."""
    m = CNIC.match(str(value or "").strip())
    if m is None:
        raise RowError(field, _("a CNIC has 13 digits, written #####-#######-#"))
    return "-".join(m.groups())


def clean_ntn(value: Any, field: str = "ntn") -> str:
    """An NTN as #######-# (8 digits; the dash may be left out)."""
    m = NTN.match(str(value or "").strip())
    if m is None:
        raise RowError(field, _("an NTN has 8 digits, written #######-#"))
    return "-".join(m.groups())


def clean_msisdn(value: Any, field: str = "msisdn") -> str:
    """A Pakistani mobile number in E.164 (+923001234567); accepts 0300-1234567, 923001234567 …"""
    text = str(value or "").strip()
    if not text:
        raise RowError(field, _("required"))
    if text.isdigit() and text.startswith("92") and len(text) == 12:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "PK")
    except phonenumbers.NumberParseException:
        raise RowError(field, _("not a telephone number")) from None
    if phonenumbers.region_code_for_number(number) != "PK" or not phonenumbers.is_valid_number(
        number
    ):
        raise RowError(field, _("not a valid Pakistani mobile number (+92 3xx xxxxxxx)"))
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise RowError(field, _("a Pakistani number, but not a mobile number (+92 3xx xxxxxxx)"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_prefix(value: Any, field: str = "prefix") -> tuple[str, int, int, bytes, bytes]:
    """(canonical text, version, length, first, last) of a public prefix, or the reason it is not."""
    try:
        net = parse_public_prefix(str(value or ""), field=field)
    except DomainError as exc:
        reason = exc.details[0]["reason"] if exc.details else exc.message
        raise RowError(field, reason) from None
    version, length, start, end = prefix_bounds(net)
    return str(net), version, length, start, end


def clean_date(value: Any, field: str, *, required: bool) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        if required:
            raise RowError(field, _("required (YYYY-MM-DD)"))
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RowError(
            field, _("not a date as YYYY-MM-DD: %(value)s") % {"value": repr(text[:20])}
        ) from None


class Regimes:
    """The regimes, loaded once, to find the one in force on a date without a query per row."""

    def __init__(self) -> None:
        self.items = list(Regime.objects.order_by("effective_from"))
        self.starts = [r.effective_from for r in self.items]

    def on(self, day: dt.date) -> Regime | None:
        i = bisect.bisect_right(self.starts, day) - 1
        if i < 0:
            return None
        regime = self.items[i]
        if regime.effective_to is not None and regime.effective_to < day:
            return None
        return regime


def check_category_permitted(regimes: Regimes, category: str, start: dt.date) -> Regime:
    regime = regimes.on(start)
    if regime is None:
        raise RowError(
            "start_date", _("no regime was in force on %(day)s") % {"day": f"{start:%Y-%m-%d}"}
        )
    if not regime.permits(category):
        lang = (get_language() or "en").split("-")[0]
        allowed = ", ".join(regime.permitted_categories) or _("none")
        raise RowError(
            "category",
            # Translators: %(category)s is a kind of subscriber (e.g. Freelancer); %(allowed)s lists
            # the categories' values in English (e.g. it_company, bank).
            _(
                "%(category)s subscribers are not permitted under the regime '%(regime)s' in force "
                "on %(day)s (it permits: %(allowed)s)"
            )
            % {
                "category": _(SubscriberCategory(category).label),
                "regime": str(getattr(regime, f"name_{lang}", "") or regime.name_en),
                "day": f"{start:%Y-%m-%d}",
                "allowed": allowed,
            },
        )
    return regime


@dataclass(frozen=True, slots=True)
class SubscriberData:
    ref: str
    action: str
    subscriber_type: str = ""
    category: str = ""
    name: str = ""
    identity_kind: str = ""
    identity: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    regime_id: int | None = None

    def content_hash(self) -> bytes:
        return pii.content_hash(
            self.subscriber_type,
            self.category,
            pii.normalise_name(self.name),
            self.identity_kind,
            self.identity,
            self.start_date,
            self.end_date,
        )


def clean_subscriber(row: dict[str, Any], regimes: Regimes) -> SubscriberData:
    ref = clean_ref(row.get("ref"))
    action = clean_action(row.get("action"))
    if action == RowAction.END:
        end = clean_date(row.get("end_date"), "end_date", required=False)
        return SubscriberData(ref=ref, action=action, end_date=end)
    kind = clean_holder_type(row.get("subscriber_type"), "subscriber_type")
    category = clean_category(row.get("category"))
    if kind == HolderType.INDIVIDUAL and category not in (
        SubscriberCategory.INDIVIDUAL,
        SubscriberCategory.FREELANCER,
    ):
        raise RowError(
            "subscriber_type",
            # Translators: individual and freelancer are values of the category column; keep them.
            _("an individual's category is individual or freelancer, not %(category)s")
            % {"category": category},
        )
    if kind == HolderType.ORGANISATION and category == SubscriberCategory.INDIVIDUAL:
        raise RowError(
            "subscriber_type",
            # Translators: category, subscriber_type and individual are a file's column names and
            # value; keep them in English.
            _("category individual needs subscriber_type individual"),
        )
    name = clean_name(row.get("name"), "name")
    cnic_raw = str(row.get("cnic") or "").strip()
    ntn_raw = str(row.get("ntn") or "").strip()
    if cnic_raw and ntn_raw:
        raise RowError("cnic", _("give cnic or ntn, not both"))
    if not cnic_raw and not ntn_raw:
        raise RowError("cnic", _("give a cnic (individuals) or an ntn (organisations)"))
    if ntn_raw and kind == HolderType.INDIVIDUAL:
        raise RowError("cnic", _("an individual is identified by a CNIC"))
    identity_kind = IdentityKind.CNIC if cnic_raw else IdentityKind.NTN
    identity = clean_cnic(cnic_raw) if cnic_raw else clean_ntn(ntn_raw)
    start = clean_date(row.get("start_date"), "start_date", required=True)
    assert start is not None
    end = clean_date(row.get("end_date"), "end_date", required=False)
    if end is not None and end < start:
        raise RowError("end_date", _("before start_date"))
    regime = check_category_permitted(regimes, category, start)
    return SubscriberData(
        ref=ref,
        action=action,
        subscriber_type=kind,
        category=category,
        name=name,
        identity_kind=identity_kind,
        identity=identity,
        start_date=start,
        end_date=end,
        regime_id=regime.pk,
    )


@dataclass(frozen=True, slots=True)
class EndpointData:
    ref: str
    action: str
    kind: str = ""
    network: str | None = None
    ip_version: int | None = None
    prefix_len: int | None = None
    range_start: bytes | None = None
    range_end: bytes | None = None
    msisdn: str | None = None
    holder_type: str = ""
    holder_name: str = ""
    subscriber_ref: str | None = None
    delegated_from: str | None = None

    def content_hash(self) -> bytes:
        return pii.content_hash(
            self.kind,
            self.network or self.msisdn,
            self.holder_type,
            self.holder_name,
            self.subscriber_ref,
            self.delegated_from,
        )


def clean_endpoint(row: dict[str, Any], *, ref_required: bool = True) -> EndpointData:
    ref = clean_ref(row.get("ref")) if ref_required or row.get("ref") else ""
    action = clean_action(row.get("action"))
    if action == RowAction.END:
        return EndpointData(ref=ref, action=action)
    prefix_raw = str(row.get("prefix") or "").strip()
    msisdn_raw = str(row.get("msisdn") or "").strip()
    if prefix_raw and msisdn_raw:
        raise RowError("prefix", _("give prefix or msisdn, not both"))
    if not prefix_raw and not msisdn_raw:
        raise RowError("prefix", _("give a prefix or an msisdn"))
    holder_type = clean_holder_type(row.get("holder_type"), "holder_type")
    holder_name = clean_name(row.get("holder_name"), "holder_name")
    sub = str(row.get("subscriber_ref") or "").strip()
    parent = str(row.get("delegated_from") or "").strip()
    subscriber_ref = clean_ref(sub, "subscriber_ref") if sub else None
    delegated_from = clean_ref(parent, "delegated_from") if parent else None
    if delegated_from is not None and msisdn_raw:
        raise RowError("delegated_from", _("only a prefix can be delegated from another"))
    if delegated_from is not None and delegated_from == ref:
        raise RowError("delegated_from", _("a registration cannot be delegated from itself"))
    if prefix_raw:
        network, version, length, start, end = clean_prefix(prefix_raw)
        return EndpointData(
            ref=ref,
            action=action,
            kind=EndpointKind.PREFIX,
            network=network,
            ip_version=version,
            prefix_len=length,
            range_start=start,
            range_end=end,
            holder_type=holder_type,
            holder_name=holder_name,
            subscriber_ref=subscriber_ref,
            delegated_from=delegated_from,
        )
    return EndpointData(
        ref=ref,
        action=action,
        kind=EndpointKind.MSISDN,
        msisdn=clean_msisdn(msisdn_raw),
        holder_type=holder_type,
        holder_name=holder_name,
        subscriber_ref=subscriber_ref,
    )


def encrypted_name(holder_type: str, name: str) -> tuple[str, bytes | None]:
    """An organisation's name is kept in clear; an individual's only as ciphertext."""
    if holder_type == HolderType.INDIVIDUAL:
        return "", pii.encrypt(name, purpose=P_NAME)
    return name, None


def identity_purpose(kind: str) -> str:
    return P_CNIC if kind == IdentityKind.CNIC else P_NTN


def identity_hash(kind: str, identity: str) -> bytes:
    return pii.lookup_hash(identity, purpose=identity_purpose(kind))


def msisdn_hash(msisdn: str) -> bytes:
    return pii.lookup_hash(msisdn, purpose=P_MSISDN)


def name_hash(name: str) -> bytes:
    return pii.lookup_hash(pii.name_key(name), purpose=P_NAME)
