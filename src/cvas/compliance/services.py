"""Writes for compliance: filing and amending returns, violations and their decisions, the cost
parameters, and the `cvas tick` steps (reminders, repeated late returns). Each write is one
transaction that locks the row it changes, checks the state it leaves, and writes its audit event."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cvas.accounts.choices import MembershipRole, StaffRole
from cvas.accounts.models import Membership, StaffRoleGrant
from cvas.accounts.principal import Principal
from cvas.audit.services import audit_record, snapshot
from cvas.compliance import costs
from cvas.compliance.choices import (
    CostParameterKey,
    Decision,
    FiledVia,
    IncidentKind,
    ReminderKind,
    ReminderOutcome,
    ReturnState,
    Sanction,
    ViolationKind,
    ViolationState,
)
from cvas.compliance.models import CostParameter, Reminder, Return, ReturnVersion, Violation
from cvas.compliance.models import ViolationEvent as VEvent
from cvas.compliance.registry_link import registry_subscriber_counts
from cvas.compliance.schedule import Period, Schedule
from cvas.compliance.selectors import (
    Obligation,
    expiring_licences,
    licence_periods,
    obligations,
    organisation_has_accounts,
)
from cvas.core.actors import Actor
from cvas.core.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from cvas.core.timeutil import pk_date, pk_today
from cvas.jobs.services import notify
from cvas.licensing.choices import SubscriberCategory
from cvas.licensing.models import Licence

MAX_BIGINT = 2**63 - 1
MAX_GATEWAYS = 200
MAX_INCIDENTS = 500
FIGURE_FIELDS = (
    "subscribers",
    "new_subscriptions",
    "ended_subscriptions",
    "traffic_domestic_bytes",
    "traffic_international_bytes",
    "gateway_locations",
    "incidents",
)
COUNT_FIELDS = (
    "new_subscriptions",
    "ended_subscriptions",
    "traffic_domestic_bytes",
    "traffic_international_bytes",
)


# -- validating a return's figures ---------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.details: list[dict[str, Any]] = []

    def add(self, field: str, reason: str) -> None:
        self.details.append({"field": field, "reason": reason})

    def raise_if_any(self) -> None:
        if self.details:
            message = "; ".join(f"{d['field']}: {d['reason']}" for d in self.details[:10])
            if len(self.details) > 10:
                # Translators: %(problems)s is a list of problems; %(count)s how many more there are.
                message = _("%(problems)s; and %(count)s more") % {
                    "problems": message,
                    "count": len(self.details) - 10,
                }
            raise InvalidInput(message, details=self.details)


def _count(value: Any, field: str, errors: _Errors, what: str) -> int:
    if isinstance(value, bool) or value is None or value == "":
        # Translators: %(what)s names the figure, e.g. "the number of subscribers".
        errors.add(field, _("required: %(what)s (a whole number, 0 or more)") % {"what": what})
        return 0
    try:
        number = int(str(value).strip().replace(",", "")) if not isinstance(value, int) else value
    except ValueError:
        errors.add(field, _("%(value)s is not a whole number") % {"value": repr(value)})
        return 0
    if number < 0:
        errors.add(
            field,
            # Translators: %(what)s names the figure, e.g. "the number of subscribers".
            _("%(number)s is negative; %(what)s must be 0 or more")
            % {"number": number, "what": what},
        )
        return 0
    if number > MAX_BIGINT:
        errors.add(field, _("%(number)s is too large") % {"number": number})
        return 0
    return number


def _date(value: Any, field: str, errors: _Errors) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, _("%(value)s is not a date (YYYY-MM-DD)") % {"value": repr(value)})
        return None


WHAT = {
    "new_subscriptions": gettext_lazy("subscriptions that began in the period"),
    "ended_subscriptions": gettext_lazy("subscriptions that ended in the period"),
    "traffic_domestic_bytes": gettext_lazy("domestic traffic carried in the period, in bytes"),
    "traffic_international_bytes": gettext_lazy(
        "international traffic carried in the period, in bytes"
    ),
}


def clean_figures(
    data: dict[str, Any], *, period_start: dt.date | None, period_end: dt.date | None
) -> dict[str, Any]:
    """A return's figures, checked and normalised; every problem is reported at once, by field."""
    errors = _Errors()
    for key in data:
        if key not in FIGURE_FIELDS:
            errors.add(key, _("not a field of a return"))
    subscribers_raw = data.get("subscribers")
    subscribers: dict[str, int] = {}
    if subscribers_raw is None:
        errors.add("subscribers", _("required: subscribers at the period's end, by category"))
    elif not isinstance(subscribers_raw, dict):
        # Translators: keep "{category: count}" as it is (the shape of the JSON expected).
        errors.add("subscribers", _("expected an object {category: count}"))
    else:
        for category, n in subscribers_raw.items():
            field = f"subscribers.{category}"
            if category not in SubscriberCategory.values:
                errors.add(
                    field,
                    _("unknown category; one of %(allowed)s")
                    % {"allowed": ", ".join(SubscriberCategory.values)},
                )
                continue
            count = _count(n, field, errors, _("the number of subscribers"))
            if count:
                subscribers[category] = count
    clean: dict[str, Any] = {
        "subscribers": dict(sorted(subscribers.items())),
        "subscribers_total": sum(subscribers.values()),
    }
    for key in COUNT_FIELDS:
        clean[key] = _count(data.get(key), key, errors, str(WHAT[key]))
    gateways_raw = data.get("gateway_locations") or []
    if isinstance(gateways_raw, str):
        gateways_raw = [g for g in gateways_raw.splitlines()]
    gateways: list[str] = []
    if not isinstance(gateways_raw, list):
        errors.add("gateway_locations", _("expected a list of places"))
    else:
        if len(gateways_raw) > MAX_GATEWAYS:
            errors.add("gateway_locations", _("at most %(count)s") % {"count": MAX_GATEWAYS})
        for i, g in enumerate(gateways_raw[:MAX_GATEWAYS]):
            text = " ".join(str(g).split())
            if len(text) > 200:
                errors.add(f"gateway_locations[{i}]", _("at most 200 characters"))
            elif text and text not in gateways:
                gateways.append(text)
    clean["gateway_locations"] = gateways
    incidents_raw = data.get("incidents") or []
    incidents: list[dict[str, Any]] = []
    if not isinstance(incidents_raw, list):
        errors.add("incidents", _("expected a list of incidents"))
        incidents_raw = []
    if len(incidents_raw) > MAX_INCIDENTS:
        errors.add("incidents", _("at most %(count)s") % {"count": MAX_INCIDENTS})
    for i, item in enumerate(incidents_raw[:MAX_INCIDENTS]):
        where = f"incidents[{i}]"
        if not isinstance(item, dict):
            # Translators: keep date, kind, description, resolved as they are (names of fields).
            errors.add(where, _("expected an object with date, kind, description, resolved"))
            continue
        unknown = [k for k in item if k not in ("date", "kind", "description", "resolved")]
        for k in unknown:
            errors.add(f"{where}.{k}", _("not a field of an incident"))
        day = _date(item.get("date"), f"{where}.date", errors) if item.get("date") else None
        if not item.get("date"):
            errors.add(f"{where}.date", _("required"))
        elif (
            day is not None
            and period_start
            and period_end
            and not period_start <= day <= period_end
        ):
            errors.add(
                f"{where}.date",
                _("%(day)s is outside the period (%(start)s to %(end)s)")
                % {"day": day, "start": period_start, "end": period_end},
            )
        kind = str(item.get("kind") or "").strip()
        if kind not in IncidentKind.values:
            errors.add(
                f"{where}.kind",
                _("one of %(allowed)s") % {"allowed": ", ".join(IncidentKind.values)},
            )
        description = " ".join(str(item.get("description") or "").split())
        if not description:
            errors.add(f"{where}.description", _("required: what happened"))
        elif len(description) > 2000:
            errors.add(f"{where}.description", _("at most 2,000 characters"))
        resolved = item.get("resolved")
        if isinstance(resolved, str):
            resolved = {
                "yes": True,
                "true": True,
                "1": True,
                "no": False,
                "false": False,
                "0": False,
            }.get(resolved.strip().lower())
        if not isinstance(resolved, bool):
            errors.add(f"{where}.resolved", _("required: yes or no (true or false)"))
        incidents.append(
            {
                "date": day.isoformat() if day else None,
                "kind": kind,
                "description": description,
                "resolved": bool(resolved),
            }
        )
    clean["incidents"] = sorted(incidents, key=lambda x: (x["date"] or "", x["kind"]))
    errors.raise_if_any()
    return clean


# -- flags: differences noticed, never refused ---------------------------------------------------


def _flags(
    licence: Licence, period: Period, figures: dict[str, Any], schedule: Schedule
) -> list[dict[str, str]]:
    flags: list[dict[str, str]] = []
    regime = schedule.in_force(period.end) or licence.regime
    for category, n in figures["subscribers"].items():
        if n and not regime.permits(category):
            flags.append(
                {
                    "code": "category_not_permitted",
                    "field": f"subscribers.{category}",
                    "message": (
                        f"{n} {SubscriberCategory(category).label.lower()} subscriber(s) reported, but "
                        f"'{regime.name_en}' (in force on {period.end}) does not permit that category."
                    ),
                }
            )
    registry = registry_subscriber_counts(licence_id=licence.pk, on=period.end)
    if registry is not None:
        for category in sorted(set(registry) | set(figures["subscribers"])):
            reported = figures["subscribers"].get(category, 0)
            held = registry.get(category, 0)
            if reported != held:
                flags.append(
                    {
                        "code": "registry_difference",
                        "field": f"subscribers.{category}",
                        "message": (
                            f"{reported} reported; the subscriber registry holds {held} in service "
                            f"on {period.end}."
                        ),
                    }
                )
    previous = (
        ReturnVersion.objects.filter(
            periodic_return__licence=licence,
            periodic_return__period_end=period.start - dt.timedelta(days=1),
        )
        .filter(version=F("periodic_return__current_version"))
        .first()
    )
    if previous is not None:
        expected = (
            previous.subscribers_total
            + figures["new_subscriptions"]
            - figures["ended_subscriptions"]
        )
        if expected != figures["subscribers_total"]:
            flags.append(
                {
                    "code": "continuity",
                    "field": "subscribers",
                    "message": (
                        f"{figures['subscribers_total']} subscribers at the period's end, but the "
                        f"previous return's {previous.subscribers_total} plus "
                        f"{figures['new_subscriptions']} new less {figures['ended_subscriptions']} "
                        f"ended makes {expected}."
                    ),
                }
            )
    return flags


# -- filing and amending -------------------------------------------------------------------------


def _lock_licence(licence: Licence) -> Licence:
    return Licence.objects.select_for_update().select_related("holder", "regime").get(pk=licence.pk)


def _period_for(
    licence: Licence, start: dt.date, end: dt.date, *, today: dt.date, schedule: Schedule
) -> Period:
    if end < start:
        raise InvalidInput(
            # Translators: keep period_end and period_start (names of fields) as they are.
            _("period_end: %(end)s is before period_start %(start)s")
            % {"end": end, "start": start},
            details=[{"field": "period_end", "reason": _("before the period's start")}],
        )
    if end >= today:
        raise InvalidInput(
            # Translators: keep "period:" (the name of a field) as it is.
            _(
                "period: the period ends on %(end)s, which is not over yet; its return can be "
                "filed from %(first_day)s."
            )
            % {"end": end, "first_day": end + dt.timedelta(days=1)},
            details=[
                {"field": "period_end", "reason": _("the period has not ended (in the future)")}
            ],
        )
    periods = licence_periods(licence, until=today, schedule=schedule)
    for p in periods:
        if (p.start, p.end) == (start, end):
            return p
    containing = next((p for p in periods if p.start <= start <= p.end), None)
    args = {"start": start, "end": end, "number": licence.display_number}
    if containing is not None:
        args.update(
            period_start=containing.start, period_end=containing.end, period=containing.label
        )
        # Translators: keep "period:" (the name of a field) as it is.
        message = _(
            "period: %(start)s to %(end)s is not a return period of licence %(number)s; the "
            "return period that contains %(start)s is %(period_start)s to %(period_end)s "
            "(%(period)s)."
        )
        reason = _(
            "not a return period; the return period that contains %(start)s is "
            "%(period_start)s to %(period_end)s (%(period)s)"
        )
    elif periods:
        args.update(first_day=periods[0].start, last_day=periods[-1].end)
        # Translators: keep "period:" (the name of a field) as it is.
        message = _(
            "period: %(start)s to %(end)s is not a return period of licence %(number)s; its "
            "return periods run from %(first_day)s to %(last_day)s."
        )
        reason = _("not a return period; its return periods run from %(first_day)s to %(last_day)s")
    else:
        # Translators: keep "period:" (the name of a field) as it is.
        message = _(
            "period: %(start)s to %(end)s is not a return period of licence %(number)s; the "
            "licence was not in force during any return period yet."
        )
        reason = _("not a return period; the licence was not in force during any return period yet")
    raise InvalidInput(message % args, details=[{"field": "period_start", "reason": reason % args}])


def _check_filer(principal: Principal, licence: Licence) -> None:
    principal.require_scope("write")
    principal.require_member(licence.holder_id)


def _check_backdate(licence: Licence, filed_at: dt.datetime | None) -> dt.datetime:
    if filed_at is None:
        return timezone.now()
    if not licence.is_demo:
        raise Forbidden(_("Only demo data may be filed with a date in the past."))
    return filed_at


def _version_snapshot(version: ReturnVersion) -> dict[str, Any]:
    return snapshot(
        version,
        [
            "periodic_return",
            "version",
            "filed_at",
            "filed_by_label",
            "via",
            "amendment_reason",
            "subscribers",
            "subscribers_total",
            "new_subscriptions",
            "ended_subscriptions",
            "traffic_domestic_bytes",
            "traffic_international_bytes",
            "gateway_locations",
            "incidents",
            "flags",
        ],
    )


def _licensee_recipients(licence: Licence) -> list[str]:
    managers = Membership.objects.filter(
        organisation_id=licence.holder_id, role=MembershipRole.MANAGER
    ).values_list("user__email", flat=True)
    return sorted({e for e in [licence.holder.contact_email, *managers] if e})


def _portal_link(ret: Return | None = None) -> str:
    base = f"{settings.SITE_URL}/portal/returns/"
    return f"{base}{ret.pk}/" if ret is not None else base


@transaction.atomic
def return_file(
    *,
    principal: Principal,
    licence: Licence,
    period_start: dt.date,
    period_end: dt.date,
    data: dict[str, Any],
    via: str = FiledVia.API,
    filed_at: dt.datetime | None = None,
) -> Return:
    """File the first version of a licence's return for one of its ended periods."""
    _check_filer(principal, licence)
    lic = _lock_licence(licence)
    moment = _check_backdate(lic, filed_at)
    today = pk_date(moment) if filed_at is not None else pk_today()
    schedule = Schedule.load()
    period = _period_for(lic, period_start, period_end, today=today, schedule=schedule)
    figures = clean_figures(data, period_start=period.start, period_end=period.end)
    existing = Return.objects.filter(licence=lic, period_start=period.start).first()
    if existing is not None:
        raise Conflict(
            _(
                "The return for %(period)s is already filed (version %(version)s); file an "
                "amendment to change it."
            )
            % {"period": period.label, "version": existing.current_version},
            code="already_filed",
            details=[
                {
                    "field": "period_start",
                    # Translators: %(number)s is the return's number in the registry.
                    "reason": _("already filed as return %(number)s") % {"number": existing.pk},
                }
            ],
        )
    clash = Return.objects.filter(
        licence=lic, period_start__lte=period.end, period_end__gte=period.start
    ).first()
    if clash is not None:
        raise Conflict(
            # Translators: keep "period:" (the name of a field) as it is.
            _(
                "period: %(start)s to %(end)s overlaps the return already filed for "
                "%(other_start)s to %(other_end)s."
            )
            % {
                "start": period.start,
                "end": period.end,
                "other_start": clash.period_start,
                "other_end": clash.period_end,
            },
            code="period_overlap",
            details=[
                {
                    "field": "period_start",
                    # Translators: %(number)s is the return's number in the registry.
                    "reason": _("overlaps return %(number)s") % {"number": clash.pk},
                }
            ],
        )
    flags = _flags(lic, period, figures, schedule)
    try:
        with transaction.atomic():
            ret = Return.objects.create(
                licence=lic,
                period_start=period.start,
                period_end=period.end,
                due_on=period.due_on,
                first_filed_at=moment,
                filed_late=pk_date(moment) > period.due_on,
                current_version=1,
                is_demo=lic.is_demo,
            )
    except IntegrityError:
        raise Conflict(
            _("The return for %(period)s was filed at the same moment by someone else.")
            % {"period": period.label},
            code="already_filed",
        ) from None
    version = ReturnVersion.objects.create(
        periodic_return=ret,
        version=1,
        filed_at=moment,
        filed_by=principal.user,
        filed_by_label=principal.actor.label,
        via=via,
        flags=flags,
        **figures,
    )
    audit_record(
        actor=principal.actor,
        action="return.file",
        obj=ret,
        after={**snapshot(ret), "version": _version_snapshot(version)},
        reason="demo data filed with a past date" if filed_at is not None else "",
    )
    if filed_at is not None:
        return ret  # demo history recorded after the fact: no receipt to send
    late = " It was filed after the deadline." if ret.filed_late else ""
    notify(
        recipients=[*_licensee_recipients(lic), principal.user.email if principal.user else ""],
        subject=f"[CVAS Registry] licence {lic.display_number}: return for {period.label} received",
        body=(
            f"The return of {lic.holder.name} for {period.label} ({period.start} to {period.end}) was "
            f"received on {pk_date(moment):%d %B %Y}; it was due by {period.due_on:%d %B %Y}.{late}"
            + (f"\n\nNoted for review: {len(flags)} difference(s)." if flags else "")
            + f"\n\n{_portal_link(ret)}\n"
        ),
    )
    return ret


@transaction.atomic
def return_amend(
    *,
    principal: Principal,
    periodic_return: Return,
    data: dict[str, Any],
    reason: str,
    via: str = FiledVia.API,
    filed_at: dt.datetime | None = None,
) -> Return:
    """Amend a filed return: a new version with the full figures; every earlier version is kept."""
    _check_filer(principal, periodic_return.licence)
    why = " ".join((reason or "").split())
    if not why:
        raise InvalidInput(
            # Translators: keep "reason:" (the name of a field) as it is.
            _("reason: say why the return is amended"),
            details=[{"field": "reason", "reason": _("required")}],
        )
    lic = _lock_licence(periodic_return.licence)
    ret = Return.objects.select_for_update().get(pk=periodic_return.pk)
    moment = _check_backdate(lic, filed_at)
    figures = clean_figures(data, period_start=ret.period_start, period_end=ret.period_end)
    previous = ReturnVersion.objects.get(periodic_return=ret, version=ret.current_version)
    unchanged = all(getattr(previous, k) == v for k, v in figures.items())
    if unchanged:
        raise InvalidInput(
            _("The amendment changes none of the figures of the current version."),
            details=[{"field": "figures", "reason": _("identical to the current version")}],
        )
    schedule = Schedule.load()
    period = Period(
        start=ret.period_start, end=ret.period_end, due_on=ret.due_on, kind="", regime_code=""
    )
    version = ReturnVersion.objects.create(
        periodic_return=ret,
        version=ret.current_version + 1,
        filed_at=moment,
        filed_by=principal.user,
        filed_by_label=principal.actor.label,
        via=via,
        amendment_reason=why,
        flags=_flags(lic, period, figures, schedule),
        **figures,
    )
    before = {**snapshot(ret), "version": _version_snapshot(previous)}
    ret.current_version = version.version
    ret.save(update_fields=["current_version"])
    audit_record(
        actor=principal.actor,
        action="return.amend",
        obj=ret,
        before=before,
        after={**snapshot(ret), "version": _version_snapshot(version)},
        reason=why,
    )
    if filed_at is not None:
        return ret
    notify(
        recipients=[*_licensee_recipients(lic), principal.user.email if principal.user else ""],
        subject=(
            f"[CVAS Registry] licence {lic.display_number}: return for {ret.period_label} "
            f"amended (version {version.version})"
        ),
        body=(
            f"The return of {lic.holder.name} for {ret.period_label} was amended: version "
            f"{version.version} replaces version {previous.version}, which is kept.\n\n"
            f"Reason: {why}\n\n{_portal_link(ret)}\n"
        ),
    )
    return ret


# -- violations ----------------------------------------------------------------------------------


def _require_text(value: str, field: str, message: str) -> str:
    """The text, stripped; `message` (translated, starting with "field: ") when it is empty."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message, details=[{"field": field, "reason": _("required")}])
    return text


def _clean_sanction(sanction: str, fine_amount_pkr: Any) -> tuple[str, Decimal | None]:
    if sanction not in Sanction.values:
        raise InvalidInput(
            # Translators: keep "sanction:" (the name of a field) as it is.
            _("sanction: one of %(allowed)s") % {"allowed": ", ".join(Sanction.values)},
            details=[{"field": "sanction", "reason": _("unknown sanction")}],
        )
    if sanction != Sanction.FINE:
        if fine_amount_pkr not in (None, ""):
            raise InvalidInput(
                # Translators: keep "fine_amount_pkr:" (the name of a field) as it is.
                _("fine_amount_pkr: only a fine has an amount"),
                details=[{"field": "fine_amount_pkr", "reason": _("only for a fine")}],
            )
        return sanction, None
    try:
        amount = Decimal(str(fine_amount_pkr).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0 or amount >= Decimal(10**12):
        raise InvalidInput(
            # Translators: keep "fine_amount_pkr:" (the name of a field) as it is.
            _("fine_amount_pkr: a fine needs an amount in rupees, more than 0"),
            details=[
                {"field": "fine_amount_pkr", "reason": _("a positive amount in PKR is required")}
            ],
        )
    return sanction, amount.quantize(Decimal("0.01"))


def _violation_move(
    v: Violation, *, to: str, actor: Actor, reason: str, action: str, before: dict[str, Any]
) -> Violation:
    from_state = v.state
    v.state = to
    v.updated_at = timezone.now()
    v.save()
    VEvent.objects.create(
        violation=v,
        from_state=from_state,
        to_state=to,
        actor=actor.user,
        actor_label=actor.label,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action=f"violation.{action}",
        obj=v,
        before=before or None,
        after=snapshot(v),
        reason=reason,
    )
    return v


def _next_reference(v: Violation) -> str:
    return f"VIO-{v.created_at.year}-{v.pk:06d}"


def _create_violation(
    *,
    actor: Actor,
    licence: Licence,
    kind: str,
    occurred_on: dt.date,
    evidence: str,
    state: str,
    sanction: str = "",
    fine: Decimal | None = None,
    proposal_reason: str = "",
    details: dict[str, Any] | None = None,
    automatic: bool = False,
) -> Violation:
    v = Violation.objects.create(
        reference=f"TMP-{timezone.now().timestamp()}-{licence.pk}",
        licence=licence,
        kind=kind,
        occurred_on=occurred_on,
        evidence=evidence,
        details=details or {},
        state=state,
        proposed_sanction=sanction,
        fine_amount_pkr=fine,
        proposal_reason=proposal_reason,
        is_automatic=automatic,
        recorded_by=actor.user,
        recorded_by_label=actor.label,
        is_demo=licence.is_demo,
    )
    v.reference = _next_reference(v)
    v.save(update_fields=["reference"])
    VEvent.objects.create(
        violation=v,
        from_state="",
        to_state=state,
        actor=actor.user,
        actor_label=actor.label,
        reason=proposal_reason or evidence[:500],
    )
    audit_record(actor=actor, action="violation.record", obj=v, after=snapshot(v))
    return v


@transaction.atomic
def violation_record(
    *,
    principal: Principal,
    licence: Licence,
    kind: str,
    occurred_on: dt.date,
    evidence: str,
    sanction: str = "",
    fine_amount_pkr: Any = None,
    reason: str = "",
) -> Violation:
    """A compliance officer records a violation, optionally proposing a sanction at once."""
    principal.require_scope("write")
    principal.require_role(StaffRole.COMPLIANCE_OFFICER)
    if kind not in ViolationKind.values:
        raise InvalidInput(
            # Translators: keep "kind:" (the name of a field) as it is.
            _("kind: one of %(allowed)s") % {"allowed": ", ".join(ViolationKind.values)},
            details=[{"field": "kind", "reason": _("unknown kind")}],
        )
    if occurred_on > pk_today():
        raise InvalidInput(
            # Translators: keep "occurred_on:" (the name of a field) as it is.
            _("occurred_on: %(day)s is in the future") % {"day": occurred_on},
            details=[{"field": "occurred_on", "reason": _("in the future")}],
        )
    text = _require_text(
        # Translators: keep "evidence:" (the name of a field) as it is.
        evidence,
        "evidence",
        _("evidence: describe the evidence"),
    )
    lic = _lock_licence(licence)
    fine = None
    if sanction:
        sanction, fine = _clean_sanction(sanction, fine_amount_pkr)
    elif fine_amount_pkr not in (None, ""):
        raise InvalidInput(
            # Translators: keep "fine_amount_pkr:" (the name of a field) as it is.
            _("fine_amount_pkr: propose the fine sanction with it"),
            details=[{"field": "fine_amount_pkr", "reason": _("only for a fine")}],
        )
    return _create_violation(
        actor=principal.actor,
        licence=lic,
        kind=kind,
        occurred_on=occurred_on,
        evidence=text,
        state=ViolationState.SANCTION_PROPOSED if sanction else ViolationState.OPEN,
        sanction=sanction,
        fine=fine,
        proposal_reason=(reason or "").strip(),
    )


def _lock_violation(v: Violation) -> Violation:
    return Violation.objects.select_for_update().select_related("licence__holder").get(pk=v.pk)


def _require_state(v: Violation, allowed: set[str], message: str) -> None:
    """Refuse unless `v` is in one of the `allowed` states; `message` (translated) takes the
    placeholders %(reference)s, %(state)s and %(allowed)s."""
    if v.state not in allowed:
        allowed_text = ", ".join(sorted(ViolationState(s).value for s in allowed))
        raise IllegalTransition(
            message % {"reference": v.reference, "state": v.state, "allowed": allowed_text},
            # Translators: %(state)s is the code of a violation's state, e.g. open.
            details=[{"field": "state", "reason": _("is %(state)s") % {"state": v.state}}],
        )


@transaction.atomic
def violation_propose(
    *,
    principal: Principal,
    violation: Violation,
    sanction: str,
    fine_amount_pkr: Any = None,
    reason: str,
) -> Violation:
    """A compliance officer proposes (or revises) the sanction for the licensing officer to decide."""
    principal.require_scope("write")
    principal.require_role(StaffRole.COMPLIANCE_OFFICER)
    why = _require_text(
        # Translators: keep "reason:" (the name of a field) as it is.
        reason,
        "reason",
        _("reason: say why this sanction is proposed"),
    )
    v = _lock_violation(violation)
    _require_state(
        v,
        {
            ViolationState.OPEN,
            ViolationState.AWAITING_CONFIRMATION,
            ViolationState.SANCTION_PROPOSED,
        },
        # Translators: %(reference)s is a violation's reference (VIO-2026-000001); %(state)s and
        # %(allowed)s are codes of states (open, sanction_proposed...).
        _("%(reference)s is %(state)s; it can be given a proposed sanction only when %(allowed)s."),
    )
    before = snapshot(v)
    v.proposed_sanction, v.fine_amount_pkr = _clean_sanction(sanction, fine_amount_pkr)
    v.proposal_reason = why
    return _violation_move(
        v,
        to=ViolationState.SANCTION_PROPOSED,
        actor=principal.actor,
        reason=why,
        action="propose",
        before=before,
    )


@transaction.atomic
def violation_confirm(*, principal: Principal, violation: Violation, reason: str = "") -> Violation:
    """A compliance officer confirms a warning that the system proposed by itself."""
    principal.require_scope("write")
    principal.require_role(StaffRole.COMPLIANCE_OFFICER)
    v = _lock_violation(violation)
    _require_state(
        v,
        {ViolationState.AWAITING_CONFIRMATION},
        # Translators: %(reference)s is a violation's reference (VIO-2026-000001); %(state)s and
        # %(allowed)s are codes of states (open, sanction_proposed...).
        _("%(reference)s is %(state)s; it can be confirmed only when %(allowed)s."),
    )
    before = snapshot(v)
    why = (reason or "").strip() or "Confirmed the proposed warning."
    return _violation_move(
        v,
        to=ViolationState.SANCTION_PROPOSED,
        actor=principal.actor,
        reason=why,
        action="confirm",
        before=before,
    )


@transaction.atomic
def violation_dismiss(*, principal: Principal, violation: Violation, reason: str) -> Violation:
    principal.require_scope("write")
    principal.require_role(StaffRole.COMPLIANCE_OFFICER)
    why = _require_text(
        # Translators: keep "reason:" (the name of a field) as it is.
        reason,
        "reason",
        _("reason: say why the violation is dismissed"),
    )
    v = _lock_violation(violation)
    _require_state(
        v,
        {
            ViolationState.AWAITING_CONFIRMATION,
            ViolationState.OPEN,
            ViolationState.SANCTION_PROPOSED,
        },
        # Translators: %(reference)s is a violation's reference (VIO-2026-000001); %(state)s and
        # %(allowed)s are codes of states (open, sanction_proposed...).
        _("%(reference)s is %(state)s; it can be dismissed only when %(allowed)s."),
    )
    return _violation_move(
        v,
        to=ViolationState.DISMISSED,
        actor=principal.actor,
        reason=why,
        action="dismiss",
        before=snapshot(v),
    )


@transaction.atomic
def violation_decide(
    *, principal: Principal, violation: Violation, decision: str, reason: str
) -> Violation:
    """The licensing officer decides a proposed sanction. A suspension goes through the licence
    workflow (`licence_suspend`) in the same transaction: if the licence cannot be suspended, nothing
    is decided."""
    from cvas.licensing.services import licence_suspend

    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    if decision not in Decision.values:
        raise InvalidInput(
            # Translators: keep "decision:" (the name of a field) as it is.
            _("decision: one of %(allowed)s") % {"allowed": ", ".join(Decision.values)},
            details=[{"field": "decision", "reason": _("unknown decision")}],
        )
    why = _require_text(
        # Translators: keep "reason:" (the name of a field) as it is.
        reason,
        "reason",
        _("reason: a reason is required to decide"),
    )
    v = _lock_violation(violation)
    _require_state(
        v,
        {ViolationState.SANCTION_PROPOSED},
        # Translators: %(reference)s is a violation's reference (VIO-2026-000001); %(state)s and
        # %(allowed)s are codes of states (open, sanction_proposed...).
        _("%(reference)s is %(state)s; it can be decided only when %(allowed)s."),
    )
    before = snapshot(v)
    v.decision = decision
    v.decision_reason = why
    v.decided_by_label = principal.actor.label
    v.decided_at = timezone.now()
    impose = decision == Decision.IMPOSE
    if impose and v.proposed_sanction == Sanction.SUSPENSION:
        licence_suspend(
            principal=principal,
            licence=v.licence,
            reason=f"Violation {v.reference} ({v.get_kind_display().lower()}): {why}",
        )
    done = _violation_move(
        v,
        to=ViolationState.SANCTIONED if impose else ViolationState.NOT_SANCTIONED,
        actor=principal.actor,
        reason=why,
        action="decide",
        before=before,
    )
    if impose and v.proposed_sanction != Sanction.SUSPENSION:
        what = (
            f"a fine of PKR {v.fine_amount_pkr:,.2f}"
            if v.proposed_sanction == Sanction.FINE
            else "a warning"
        )
        lic = v.licence
        notify(
            recipients=_licensee_recipients(lic),
            subject=f"[CVAS Registry] licence {lic.display_number}: {what} ({v.reference})",
            body=(
                f"The Authority has imposed {what} on {lic.holder.name} for: "
                f"{v.get_kind_display().lower()} (occurred {v.occurred_on:%d %B %Y}).\n\nReason: {why}\n"
            ),
        )
    return done


# -- cost parameters -----------------------------------------------------------------------------


@transaction.atomic
def cost_parameter_set(
    *,
    principal: Principal,
    key: str,
    value: Any,
    source: str,
    as_of: dt.date | None = None,
    is_assumption: bool | None = None,
) -> CostParameter:
    """Change a parameter of the cost model, with its source (and date, and whether it is assumed)."""
    principal.require_scope("write")
    principal.require_role(StaffRole.ADMINISTRATOR, StaffRole.COMPLIANCE_OFFICER)
    if key not in CostParameterKey.values:
        raise InvalidInput(
            # Translators: keep "key:" (the name of a field) as it is.
            _("key: one of %(allowed)s") % {"allowed": ", ".join(CostParameterKey.values)},
            details=[{"field": "key", "reason": _("unknown parameter")}],
        )
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        number = Decimal(-1)
    if not number.is_finite() or number <= 0 or number >= Decimal(10**14):
        raise InvalidInput(
            # Translators: keep "value:" (the name of a field) as it is.
            _("value: %(value)s is not a positive number") % {"value": repr(value)},
            details=[{"field": "value", "reason": _("a positive number is required")}],
        )
    text = _require_text(
        # Translators: keep "source:" (the name of a field) as it is.
        source,
        "source",
        _("source: say where the value comes from"),
    )
    if as_of is not None and as_of > pk_today():
        raise InvalidInput(
            # Translators: keep "as_of:" (the name of a field) as it is.
            _("as_of: %(day)s is in the future") % {"day": as_of},
            details=[{"field": "as_of", "reason": _("in the future")}],
        )
    default = costs.DEFAULTS[key]
    row = CostParameter.objects.select_for_update().filter(key=key).first()
    before = snapshot(row) if row else None
    if row is None:
        row = CostParameter(key=key, unit=default.unit, is_assumption=default.is_assumption)
    row.value = number.quantize(Decimal("0.000001"))
    row.source = text
    row.as_of = as_of
    if is_assumption is not None:
        row.is_assumption = is_assumption
    row.updated_at = timezone.now()
    row.updated_by_label = principal.actor.label
    row.save()
    audit_record(
        actor=principal.actor,
        action="cost_parameter.set",
        obj=row,
        before=before,
        after=snapshot(row),
    )
    return row


# -- cvas tick -----------------------------------------------------------------------------------

RETURN_REMINDER = {
    ReturnState.DUE: ReminderKind.RETURN_DUE,
    ReturnState.LATE: ReminderKind.RETURN_LATE,
    ReturnState.MISSING: ReminderKind.RETURN_MISSING,
}
RETURN_ORDER = [ReminderKind.RETURN_DUE, ReminderKind.RETURN_LATE, ReminderKind.RETURN_MISSING]
EXPIRY_ORDER = [ReminderKind.LICENCE_EXPIRING_60, ReminderKind.LICENCE_EXPIRING_30]


def _step_result(name: str, lines: list[str]) -> Any:
    from cvas.core.tick import StepResult

    return StepResult(name=name, lines=lines)


def _return_line(o: Obligation) -> str:
    p = o.period
    if o.state == ReturnState.DUE:
        return f"{p.label} ({p.start} to {p.end}): due by {p.due_on:%d %B %Y}."
    if o.state == ReturnState.LATE:
        return (
            f"{p.label} ({p.start} to {p.end}): LATE, it was due by {p.due_on:%d %B %Y} "
            f"({o.days_overdue} days ago); it counts as missing from {o.missing_from:%d %B %Y}."
        )
    return (
        f"{p.label} ({p.start} to {p.end}): MISSING, it was due by {p.due_on:%d %B %Y} "
        f"({o.days_overdue} days ago)."
    )


def _send_reminders(
    *,
    actor: Actor,
    today: dt.date,
    licence: Licence,
    events: list[tuple[str, str, str]],
    order: list[ReminderKind],
    subject: str,
    intro: str,
) -> tuple[list[Reminder], int]:
    """Record and send the reminders of one licence, once each: `events` are (kind, key, line).
    Runs under the licence's row lock, so overlapping ticks wait for each other and then find the
    rows already there; the unique constraint is the last guard."""
    with transaction.atomic():
        lic = _lock_licence(licence)
        done = set(Reminder.objects.filter(licence=lic, kind__in=order).values_list("kind", "key"))
        fresh = [(k, key, line) for k, key, line in events if (k, key) not in done]
        if not fresh:
            return [], 0
        superseded: list[tuple[str, str]] = []
        for kind, key, _ in fresh:
            for earlier in order[: order.index(ReminderKind(kind))]:
                if (earlier, key) not in done and (earlier.value, key) not in superseded:
                    superseded.append((earlier.value, key))
        recipients = _licensee_recipients(lic)
        body = (
            f"{intro}\n\n"
            + "\n".join(f"- {line}" for _, _, line in fresh)
            + f"\n\n{_portal_link()}\n"
        )
        job = notify(recipients=recipients, subject=subject, body=body) if recipients else None
        outcome = ReminderOutcome.SENT if job else ReminderOutcome.NO_RECIPIENT
        rows = [
            Reminder(
                kind=kind,
                licence=lic,
                key=key,
                outcome=outcome,
                recipients=recipients,
                subject=subject[:300],
                job_id=job or "",
                tick_day=today,
            )
            for kind, key, _ in fresh
        ] + [
            Reminder(
                kind=kind,
                licence=lic,
                key=key,
                outcome=ReminderOutcome.SUPERSEDED,
                tick_day=today,
            )
            for kind, key in superseded
        ]
        Reminder.objects.bulk_create(rows)
        audit_record(
            actor=actor,
            action="reminder.send",
            obj=lic,
            after={
                "outcome": outcome,
                "job_id": job or "",
                "reminders": [f"{k}:{key}" for k, key, _ in fresh],
                "superseded": [f"{k}:{key}" for k, key in superseded],
            },
        )
        return rows, len(superseded)


def tick_return_reminders(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: remind licensees of returns due, late and missing, once per event."""
    outstanding: dict[int, list[Obligation]] = defaultdict(list)
    licences: dict[int, Licence] = {}
    counts: dict[str, int] = defaultdict(int)
    for o in obligations(today=today):
        if o.state in RETURN_REMINDER:
            counts[o.state] += 1
            outstanding[o.licence.pk].append(o)
            licences[o.licence.pk] = o.licence
    lines = [
        f"{counts[ReturnState.DUE]} due, {counts[ReturnState.LATE]} late, "
        f"{counts[ReturnState.MISSING]} missing"
    ]
    sent = skipped = superseded_total = 0
    for pk, obs in outstanding.items():
        lic = licences[pk]
        events = [
            (RETURN_REMINDER[o.state].value, o.period.start.isoformat(), _return_line(o))
            for o in obs
        ]
        rows, superseded = _send_reminders(
            actor=actor,
            today=today,
            licence=lic,
            events=events,
            order=RETURN_ORDER,
            subject=f"[CVAS Registry] licence {lic.display_number}: returns outstanding",
            intro=(
                f"Returns of {lic.holder.name} under licence {lic.display_number} that the Authority "
                "has not received:"
            ),
        )
        superseded_total += superseded
        for r in rows:
            if r.outcome == ReminderOutcome.SENT:
                sent += 1
            elif r.outcome == ReminderOutcome.NO_RECIPIENT:
                skipped += 1
        for r in rows:
            if r.outcome != ReminderOutcome.SUPERSEDED:
                note = "" if r.outcome == ReminderOutcome.SENT else " [no contact address]"
                lines.append(
                    f"  {r.get_kind_display().lower()}: {lic.holder.name} ({lic.display_number}), "
                    f"period from {r.key}{note}"
                )
    lines.insert(
        1,
        f"{sent} reminder(s) queued, {skipped} without a contact address, "
        f"{superseded_total} superseded by a later one",
    )
    return _step_result("returns", lines)


def tick_licence_expiry_reminders(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: remind holders of licences expiring within 60 and within 30 days, once each."""
    expiring = expiring_licences(today=today, within=60)
    lines = [
        f"{len(expiring)} licence(s) expire within 60 days, "
        f"{sum(1 for e in expiring if e.days_left <= 30)} of them within 30"
    ]
    for e in expiring:
        lic = e.licence
        kind = (
            ReminderKind.LICENCE_EXPIRING_30
            if e.days_left <= 30
            else ReminderKind.LICENCE_EXPIRING_60
        )
        line = (
            f"Licence {lic.display_number} of {lic.holder.name} expires on {lic.expires_on:%d %B %Y} "
            f"(in {e.days_left} days). Apply for renewal before then."
        )
        rows, _ = _send_reminders(
            actor=actor,
            today=today,
            licence=lic,
            events=[(kind.value, lic.expires_on.isoformat(), line)],
            order=EXPIRY_ORDER,
            subject=(
                f"[CVAS Registry] licence {lic.display_number} expires within {e.threshold} days"
            ),
            intro="A licence you hold is about to expire:",
        )
        for r in rows:
            if r.outcome != ReminderOutcome.SUPERSEDED:
                note = "" if r.outcome == ReminderOutcome.SENT else " [no contact address]"
                lines.append(
                    f"  {r.get_kind_display().lower()}: {lic.holder.name} ({lic.display_number}), "
                    f"expires {lic.expires_on}{note}"
                )
    return _step_result("licence expiry reminders", lines)


LATE_STATES = (ReturnState.LATE, ReturnState.MISSING, ReturnState.FILED_LATE)


def _compliance_officer_emails() -> list[str]:
    return list(
        StaffRoleGrant.objects.filter(
            role=StaffRole.COMPLIANCE_OFFICER, user__is_active=True
        ).values_list("user__email", flat=True)
    )


def tick_repeated_late_returns(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: where a licence's returns were late (or are missing) in at least
    CVAS_LATE_RETURNS_FOR_WARNING of its last CVAS_LATE_RETURNS_WINDOW periods, propose a warning for a
    compliance officer to confirm; once per set of late periods, never again for the same ones.
    Licensees with no account in the registry cannot file through it and get no such proposal."""
    threshold = settings.CVAS_LATE_RETURNS_FOR_WARNING
    window = settings.CVAS_LATE_RETURNS_WINDOW
    per_licence: dict[int, list[Obligation]] = defaultdict(list)
    for o in obligations(today=today):
        if today > o.period.due_on:
            per_licence[o.licence.pk].append(o)
    proposed: list[Violation] = []
    for obs in per_licence.values():
        recent = obs[-window:]
        late = [o for o in recent if o.state in LATE_STATES]
        if len(late) < threshold:
            continue
        lic = late[0].licence
        if not organisation_has_accounts(lic.holder_id):
            continue
        periods = [o.period.start.isoformat() for o in late]
        with transaction.atomic():
            locked = _lock_licence(lic)
            cited: set[str] = set()
            for details in Violation.objects.filter(
                licence=locked, kind=ViolationKind.REPEATED_LATE_RETURNS, is_automatic=True
            ).values_list("details", flat=True):
                cited.update((details or {}).get("periods", []))
            if set(periods) <= cited:
                continue
            labels = ", ".join(
                f"{o.period.label} ({ReturnState(o.state).label.lower()})" for o in late
            )
            v = _create_violation(
                actor=actor,
                licence=locked,
                kind=ViolationKind.REPEATED_LATE_RETURNS,
                occurred_on=max(o.period.due_on for o in late) + dt.timedelta(days=1),
                evidence=(
                    f"{len(late)} of the last {len(recent)} returns of licence "
                    f"{locked.display_number} were not filed on time: {labels}."
                ),
                state=ViolationState.AWAITING_CONFIRMATION,
                sanction=Sanction.WARNING,
                proposal_reason=(
                    f"Proposed by the daily run: at least {threshold} late or missing returns in the "
                    f"last {window} periods."
                ),
                details={"periods": periods},
                automatic=True,
            )
            notify(
                recipients=_compliance_officer_emails(),
                subject=f"[CVAS Registry] {v.reference}: warning proposed for {locked.holder.name}",
                body=(
                    f"{v.evidence}\n\nA warning is proposed; confirm or dismiss it:\n"
                    f"{settings.SITE_URL}/staff/compliance/violations/{v.pk}/\n"
                ),
            )
            proposed.append(v)
    lines = [f"{len(proposed)} warning(s) proposed for repeated late returns"]
    lines += [f"  {v.reference}: {v.licence.holder.name}: {v.evidence}" for v in proposed]
    return _step_result("repeated late returns", lines)


# -- the CSV form ----------------------------------------------------------------------------------


def return_file_csv(*, principal: Principal, licence: Licence, content: bytes) -> Return:
    """File a return from its CSV form; a bad file is refused whole, naming each line and column."""
    from cvas.compliance import csvform

    _check_filer(principal, licence)
    parsed = csvform.parse(content)
    assert parsed.period_start is not None and parsed.period_end is not None
    try:
        return return_file(
            principal=principal,
            licence=licence,
            period_start=parsed.period_start,
            period_end=parsed.period_end,
            data=parsed.figures,
            via=FiledVia.CSV,
        )
    except InvalidInput as exc:
        raise csvform.locate(exc, parsed) from None


def return_amend_csv(
    *, principal: Principal, periodic_return: Return, content: bytes, reason: str
) -> Return:
    from cvas.compliance import csvform

    _check_filer(principal, periodic_return.licence)
    parsed = csvform.parse(content)
    if (parsed.period_start, parsed.period_end) != (
        periodic_return.period_start,
        periodic_return.period_end,
    ):
        raise InvalidInput(
            # Translators: "column value" names the CSV file's column "value"; keep "value".
            _(
                "The CSV file was refused: line %(line)s, column value: the file is for "
                "%(start)s to %(end)s, but this return is for %(return_start)s to %(return_end)s."
            )
            % {
                "line": parsed.lines.get("period_start", 2),
                "start": parsed.period_start,
                "end": parsed.period_end,
                "return_start": periodic_return.period_start,
                "return_end": periodic_return.period_end,
            },
            details=[
                {
                    "field": "period_start",
                    "line": parsed.lines.get("period_start", 2),
                    "column": "value",
                    "reason": _("not this return's period"),
                }
            ],
        )
    try:
        return return_amend(
            principal=principal,
            periodic_return=periodic_return,
            data=parsed.figures,
            reason=reason,
            via=FiledVia.CSV,
        )
    except InvalidInput as exc:
        raise csvform.locate(exc, parsed) from None
