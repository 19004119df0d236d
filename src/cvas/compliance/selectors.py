"""Reads for compliance: deadlines, returns, violations, reminders, dashboards and public statistics."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet
from django.utils.translation import gettext as _

from cvas.accounts.models import Membership
from cvas.accounts.principal import Principal
from cvas.compliance import costs
from cvas.compliance.choices import (
    OPEN_VIOLATION_STATES,
    CostParameterKey,
    ReturnState,
    ViolationState,
)
from cvas.compliance.models import CostParameter, Reminder, Return, ReturnVersion, Violation
from cvas.compliance.schedule import (
    Period,
    Schedule,
    active_intervals,
    calendar_period,
    overlaps,
    period_label,
)
from cvas.core.errors import InvalidInput, NotFound
from cvas.licensing.choices import LicenceStatus, ReturnPeriod
from cvas.licensing.models import Licence, LicenceEvent

# -- cost parameters ------------------------------------------------------------------------------


def cost_parameters() -> costs.CostParameters:
    """The parameters as stored; a key not stored (yet) takes its documented default."""
    rows = {p.key: p for p in CostParameter.objects.all()}
    items: dict[str, costs.Parameter] = {}
    for key in CostParameterKey:
        row = rows.get(key.value)
        default = costs.DEFAULTS[key.value]
        items[key.value] = costs.Parameter(
            key=key.value,
            label=key.label,
            value=row.value if row else default.value,
            unit=row.unit if row else default.unit,
            source=row.source if row else default.source,
            is_assumption=row.is_assumption if row else default.is_assumption,
            as_of=row.as_of if row else default.as_of,
        )
    return costs.CostParameters(items=items)


# -- deadlines ------------------------------------------------------------------------------------


def return_state(
    *, today: dt.date, period: Period, missing_from: dt.date, filed: Return | None
) -> ReturnState:
    if filed is not None:
        return ReturnState.FILED_LATE if filed.filed_late else ReturnState.FILED
    if today <= period.end:
        return ReturnState.UPCOMING
    if today <= period.due_on:
        return ReturnState.DUE
    if today < missing_from:
        return ReturnState.LATE
    return ReturnState.MISSING


@dataclass(frozen=True)
class Obligation:
    """One licence's return for one period, as it stands on `today`."""

    licence: Licence
    period: Period
    missing_from: dt.date
    filed: Return | None
    state: ReturnState
    today: dt.date

    @property
    def days_overdue(self) -> int:
        if self.filed is not None or self.today <= self.period.due_on:
            return 0
        return (self.today - self.period.due_on).days


def _licences(
    licence_ids: Iterable[int] | None = None, organisation_ids: Iterable[int] | None = None
) -> QuerySet[Licence]:
    qs = Licence.objects.select_related("holder", "regime").prefetch_related(
        Prefetch("events", queryset=LicenceEvent.objects.order_by("at", "pk"))
    )
    if licence_ids is not None:
        qs = qs.filter(pk__in=list(licence_ids))
    if organisation_ids is not None:
        qs = qs.filter(holder_id__in=list(organisation_ids))
    return qs.order_by("holder__name", "pk")


def licence_periods(licence: Licence, *, until: dt.date, schedule: Schedule) -> list[Period]:
    """The periods for which the licence owes a return: those on which it was active, up to `until`."""
    spans = active_intervals(licence, list(licence.events.all()))
    if not spans:
        return []
    last_active = max(last for _, last in spans)
    periods = schedule.periods(start=spans[0][0], until=min(until, last_active))
    return [p for p in periods if overlaps(p, spans)]


def obligations(
    *,
    today: dt.date,
    licence_ids: Iterable[int] | None = None,
    organisation_ids: Iterable[int] | None = None,
    include_upcoming: bool = False,
    schedule: Schedule | None = None,
) -> list[Obligation]:
    """Every return owed (filed or not) by the chosen licences, oldest period first per licence."""
    schedule = schedule or Schedule.load()
    licences = list(_licences(licence_ids, organisation_ids))
    filed = {
        (r.licence_id, r.period_start): r
        for r in Return.objects.filter(licence__in=[lic.pk for lic in licences])
    }
    out: list[Obligation] = []
    for lic in licences:
        for period in licence_periods(lic, until=today, schedule=schedule):
            ret = filed.get((lic.pk, period.start))
            missing_from = schedule.missing_from(period)
            state = return_state(today=today, period=period, missing_from=missing_from, filed=ret)
            if state == ReturnState.UPCOMING and not include_upcoming:
                continue
            out.append(
                Obligation(
                    licence=lic,
                    period=period,
                    missing_from=missing_from,
                    filed=ret,
                    state=state,
                    today=today,
                )
            )
    return out


def _unknown_state(state: str, allowed: list[str]) -> str:
    # Translators: keep "state:" (the name of the filter) untranslated; %(state)s is the value given.
    return _("state: unknown %(state)s; one of %(allowed)s") % {
        "state": repr(state),
        "allowed": ", ".join(allowed),
    }


def obligations_for(
    principal: Principal, *, today: dt.date, state: str | None = None, licence_id: int | None = None
) -> list[Obligation]:
    """What the principal may see: its own organisations' licences, or every licence for staff."""
    principal.require_authenticated()
    if state and state not in ReturnState.values:
        raise InvalidInput(
            _unknown_state(state, ReturnState.values),
            details=[{"field": "state", "reason": _("unknown state")}],
        )
    org_ids = None if principal.is_staff_reader else principal.organisation_ids
    rows = obligations(
        today=today,
        organisation_ids=org_ids,
        licence_ids=[licence_id] if licence_id is not None else None,
        include_upcoming=state == ReturnState.UPCOMING,
    )
    if state:
        rows = [o for o in rows if o.state == state]
    return rows


def open_periods(licence: Licence, *, today: dt.date) -> list[Obligation]:
    """Periods of the licence that have ended and have no return yet: what may be filed today."""
    return [
        o
        for o in obligations(today=today, licence_ids=[licence.pk])
        if o.filed is None and o.state != ReturnState.UPCOMING
    ]


# -- returns --------------------------------------------------------------------------------------


def _returns() -> QuerySet[Return]:
    return Return.objects.select_related("licence__holder", "licence__regime").prefetch_related(
        Prefetch("versions", queryset=ReturnVersion.objects.order_by("version"))
    )


def return_list_for(
    principal: Principal,
    *,
    licence_id: int | None = None,
    organisation_id: int | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    flagged: bool | None = None,
) -> QuerySet[Return]:
    principal.require_authenticated()
    qs = _returns()
    if not principal.is_staff_reader:
        qs = qs.filter(licence__holder_id__in=principal.organisation_ids)
    if licence_id is not None:
        qs = qs.filter(licence_id=licence_id)
    if organisation_id is not None:
        qs = qs.filter(licence__holder_id=organisation_id)
    if period_from is not None:
        qs = qs.filter(period_end__gte=period_from)
    if period_to is not None:
        qs = qs.filter(period_start__lte=period_to)
    if flagged is not None:
        flagged_ids = (
            ReturnVersion.objects.filter(version=F("periodic_return__current_version"))
            .exclude(flags=[])
            .values("periodic_return_id")
        )
        qs = qs.filter(pk__in=flagged_ids) if flagged else qs.exclude(pk__in=flagged_ids)
    return qs.order_by("-period_start", "licence__holder__name", "pk")


def return_get_for(principal: Principal, pk: int) -> Return:
    """A return the principal may see; anyone else is told it does not exist."""
    principal.require_authenticated()
    ret = _returns().filter(pk=pk).first()
    if ret is None or not (principal.is_staff_reader or principal.is_member(ret.licence.holder_id)):
        raise NotFound(_("Return not found."))
    return ret


def current_version(ret: Return) -> ReturnVersion:
    for version in ret.versions.all():
        if version.version == ret.current_version:
            return version
    raise NotFound(_("Return version not found."))


def version_of(ret: Return, number: int) -> ReturnVersion:
    for version in ret.versions.all():
        if version.version == number:
            return version
    raise NotFound(_("This return has no version %(number)s.") % {"number": number})


def return_estimate(
    ret: Return, version: ReturnVersion, params: costs.CostParameters
) -> costs.Estimate:
    return costs.estimate(
        version.traffic_international_bytes, ret.period_start, ret.period_end, params
    )


def international_share(version: ReturnVersion) -> Decimal | None:
    total = version.traffic_domestic_bytes + version.traffic_international_bytes
    if total == 0:
        return None
    return Decimal(version.traffic_international_bytes) / Decimal(total)


def licences_for_filing(principal: Principal) -> QuerySet[Licence]:
    """Licences whose returns the principal may file: those of its own organisations."""
    return (
        Licence.objects.select_related("holder", "regime")
        .filter(holder_id__in=principal.organisation_ids)
        .order_by("holder__name", "pk")
    )


def licence_for_filing(principal: Principal, licence_id: int) -> Licence:
    principal.require_authenticated()
    lic = Licence.objects.select_related("holder", "regime").filter(pk=licence_id).first()
    if lic is None or not principal.is_member(lic.holder_id):
        raise NotFound(_("Licence not found."))
    return lic


# -- licences expiring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiring:
    licence: Licence
    days_left: int

    @property
    def threshold(self) -> int:
        return 30 if self.days_left <= 30 else 60


def expiring_licences(*, today: dt.date, within: int = 60) -> list[Expiring]:
    """Active or suspended licences whose last day is within `within` days (0 = today)."""
    qs = (
        Licence.objects.select_related("holder", "regime")
        .filter(
            status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED],
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=within),
        )
        .order_by("expires_on", "pk")
    )
    return [Expiring(licence=lic, days_left=(lic.expires_on - today).days) for lic in qs]


# -- violations -----------------------------------------------------------------------------------


def _violations() -> QuerySet[Violation]:
    return Violation.objects.select_related("licence__holder", "recorded_by").prefetch_related(
        "events"
    )


def violation_list_for(
    principal: Principal,
    *,
    state: str | None = None,
    open_only: bool = False,
    licence_id: int | None = None,
) -> QuerySet[Violation]:
    principal.require_authenticated()
    if not principal.is_staff_reader:
        raise NotFound(_("Not found."))
    qs = _violations()
    if state:
        if state not in ViolationState.values:
            raise InvalidInput(
                _unknown_state(state, ViolationState.values),
                details=[{"field": "state", "reason": _("unknown state")}],
            )
        qs = qs.filter(state=state)
    if open_only:
        qs = qs.filter(state__in=OPEN_VIOLATION_STATES)
    if licence_id is not None:
        qs = qs.filter(licence_id=licence_id)
    return qs.order_by("-created_at", "-pk")


def violation_get_for(principal: Principal, pk: int) -> Violation:
    principal.require_authenticated()
    v = _violations().filter(pk=pk).first()
    if v is None or not principal.is_staff_reader:
        raise NotFound(_("Violation not found."))
    return v


def reminder_list(*, licence_id: int | None = None) -> QuerySet[Reminder]:
    qs = Reminder.objects.select_related("licence__holder")
    if licence_id is not None:
        qs = qs.filter(licence_id=licence_id)
    return qs.order_by("-created_at", "-pk")


def organisation_has_accounts(organisation_id: int) -> bool:
    return Membership.objects.filter(organisation_id=organisation_id).exists()


# -- dashboards -----------------------------------------------------------------------------------


@dataclass
class SeriesPoint:
    period_start: dt.date
    period_end: dt.date
    label: str
    subscribers: dict[str, int]
    subscribers_total: int
    domestic_bytes: int
    international_bytes: int
    international_share: Decimal | None
    estimate: costs.Estimate


def _current_versions(**filters: Any) -> QuerySet[ReturnVersion]:
    return (
        ReturnVersion.objects.filter(version=F("periodic_return__current_version"), **filters)
        .select_related("periodic_return__licence__holder")
        .order_by("periodic_return__period_start", "pk")
    )


def _share(domestic: int, international: int) -> Decimal | None:
    total = domestic + international
    return Decimal(international) / Decimal(total) if total else None


def licensee_series(organisation_id: int, params: costs.CostParameters) -> list[SeriesPoint]:
    """One licensee's figures per period, from the current version of each return."""
    grouped: dict[tuple[dt.date, dt.date], list[ReturnVersion]] = defaultdict(list)
    for v in _current_versions(periodic_return__licence__holder_id=organisation_id):
        r = v.periodic_return
        grouped[(r.period_start, r.period_end)].append(v)
    points: list[SeriesPoint] = []
    for (start, end), versions in sorted(grouped.items()):
        by_category: dict[str, int] = defaultdict(int)
        for v in versions:
            for category, n in v.subscribers.items():
                by_category[category] += int(n)
        domestic = sum(v.traffic_domestic_bytes for v in versions)
        international = sum(v.traffic_international_bytes for v in versions)
        points.append(
            SeriesPoint(
                period_start=start,
                period_end=end,
                label=period_label(start, end),
                subscribers=dict(by_category),
                subscribers_total=sum(v.subscribers_total for v in versions),
                domestic_bytes=domestic,
                international_bytes=international,
                international_share=_share(domestic, international),
                estimate=costs.estimate(international, start, end, params),
            )
        )
    return points


@dataclass
class LicenseeSummary:
    organisation_id: int
    name: str
    is_demo: bool
    is_public_record: bool
    licences: list[Licence] = field(default_factory=list)
    outstanding: dict[str, int] = field(default_factory=dict)
    latest: SeriesPoint | None = None
    returns_filed: int = 0


def staff_dashboard(*, today: dt.date) -> dict[str, Any]:
    """Everything the compliance dashboard shows, for staff readers."""
    params = cost_parameters()
    rows = obligations(today=today)
    by_state: dict[str, list[Obligation]] = defaultdict(list)
    for o in rows:
        by_state[o.state].append(o)
    summaries: dict[int, LicenseeSummary] = {}
    for lic in Licence.objects.select_related("holder").order_by("holder__name", "pk"):
        s = summaries.setdefault(
            lic.holder_id,
            LicenseeSummary(
                organisation_id=lic.holder_id,
                name=lic.holder.name,
                is_demo=lic.holder.is_demo,
                is_public_record=lic.holder.is_public_record,
            ),
        )
        s.licences.append(lic)
    for o in rows:
        s = summaries[o.licence.holder_id]
        if o.state in (ReturnState.DUE, ReturnState.LATE, ReturnState.MISSING):
            s.outstanding[o.state] = s.outstanding.get(o.state, 0) + 1
    for org_id, s in summaries.items():
        series = licensee_series(org_id, params)
        s.returns_filed = len(series)
        s.latest = series[-1] if series else None
    latest_total = sum(
        (s.latest.estimate.volume_usd for s in summaries.values() if s.latest), Decimal(0)
    )
    return {
        "today": today,
        "due": by_state.get(ReturnState.DUE, []),
        "late": by_state.get(ReturnState.LATE, []),
        "missing": by_state.get(ReturnState.MISSING, []),
        "filed_late": by_state.get(ReturnState.FILED_LATE, []),
        "filed": by_state.get(ReturnState.FILED, []),
        "expiring": expiring_licences(today=today, within=60),
        "open_violations": list(
            _violations().filter(state__in=OPEN_VIOLATION_STATES).order_by("-created_at", "-pk")
        ),
        "licensees": list(summaries.values()),
        "params": params,
        "disagreement": costs.disagreement(params),
        "latest_volume_usd_total": latest_total,
    }


# -- public statistics ----------------------------------------------------------------------------


def _quarter_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    out: list[dt.date] = []
    day = calendar_period(first, ReturnPeriod.QUARTERLY)[1]
    while day < last:
        out.append(day)
        day = calendar_period(day + dt.timedelta(days=1), ReturnPeriod.QUARTERLY)[1]
    out.append(last)
    return out


def public_statistics(*, today: dt.date) -> dict[str, Any]:
    """Aggregates only: licensed providers over time, and subscribers by category per period where at
    least `CVAS_STATS_MIN_CONTRIBUTORS` licensees contributed (so that no licensee's own figures show)."""
    minimum = settings.CVAS_STATS_MIN_CONTRIBUTORS
    schedule = Schedule.load()
    licences = list(_licences())
    spans = {lic.pk: active_intervals(lic, list(lic.events.all())) for lic in licences}
    providers: list[dict[str, Any]] = []
    starts = [s[0][0] for s in spans.values() if s]
    if starts and schedule.regimes:
        first = max(min(starts), schedule.regimes[0].effective_from)
        for day in _quarter_ends(first, today):
            active = {
                lic.holder_id: lic.is_demo
                for lic in licences
                if any(a <= day <= b for a, b in spans[lic.pk])
            }
            providers.append(
                {
                    "date": day,
                    "licensed_providers": len(active),
                    "of_which_demo": sum(1 for demo in active.values() if demo),
                }
            )
    grouped: dict[tuple[dt.date, dt.date], list[ReturnVersion]] = defaultdict(list)
    for v in _current_versions():
        grouped[(v.periodic_return.period_start, v.periodic_return.period_end)].append(v)
    periods: list[dict[str, Any]] = []
    for (start, end), versions in sorted(grouped.items()):
        contributors = {v.periodic_return.licence.holder_id for v in versions}
        demo = any(v.periodic_return.is_demo for v in versions)
        entry: dict[str, Any] = {
            "period_start": start,
            "period_end": end,
            "period": period_label(start, end),
            "contributors": len(contributors),
            "includes_demo": demo,
            "suppressed": len(contributors) < minimum,
            "categories": {},
            "total": None,
        }
        if not entry["suppressed"]:
            by_category: dict[str, int] = defaultdict(int)
            for v in versions:
                for category, n in v.subscribers.items():
                    by_category[category] += int(n)
            entry["categories"] = dict(sorted(by_category.items()))
            entry["total"] = sum(by_category.values())
        periods.append(entry)
    return {
        "today": today,
        "licensed_providers": providers,
        "subscribers_by_category": periods,
        "minimum_contributors": minimum,
    }
