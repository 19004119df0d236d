"""Plain pages: the licensee's returns (/portal/returns/) and the staff's compliance ledger
(/staff/compliance/). They parse the form, call one service or selector, and render the result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from cvas.accounts.principal import Principal
from cvas.compliance import costs, csvform, selectors, services
from cvas.compliance.charts import dashboard_charts, licensee_charts
from cvas.compliance.choices import (
    OPEN_VIOLATION_STATES,
    OUTSTANDING_STATES,
    FiledVia,
    ReturnState,
    ViolationState,
)
from cvas.compliance.forms import (
    AmendForm,
    CostParameterForm,
    DecideForm,
    FiguresForm,
    FileReturnForm,
    IncidentFormSet,
    ProposeForm,
    ReasonForm,
    UploadAmendmentForm,
    UploadReturnForm,
    ViolationForm,
    incidents_initial,
    put_errors,
)
from cvas.compliance.models import Return
from cvas.core.errors import DomainError, Forbidden, NotFound
from cvas.core.timeutil import pk_today
from cvas.licensing.choices import LicenceStatus
from cvas.licensing.models import Licence

View = Callable[..., HttpResponse]


def _signed_in(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, Principal.from_request(request), *args, **kwargs)
        except NotFound:
            raise Http404("Not found") from None
        except Forbidden as exc:
            return render(request, "403.html", {"message": exc.message}, status=403)

    return wrapper


def _raise_refusal(exc: DomainError) -> None:
    """A role or ownership refusal is the page's answer (403/404), not a message beside a form."""
    if exc.status in (401, 403, 404):
        raise exc


def _staff(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, p: Principal, *args: Any, **kwargs: Any) -> HttpResponse:
        if not p.is_staff_reader:
            raise Http404("Not found")
        return view(request, p, *args, **kwargs)

    return _signed_in(wrapper)


def _form_problems(form: Any) -> str:
    return "; ".join(f"{k}: {' '.join(str(x) for x in e)}" for k, e in form.errors.items())


def _number(lic: Licence) -> str:
    """The licence's number, or "not published" in the page's language."""
    return lic.number or _("not published")


def _period_value(o: selectors.Obligation) -> str:
    return f"{o.licence.pk}:{o.period.start.isoformat()}:{o.period.end.isoformat()}"


def _return_context(ret: Return, p: Principal) -> dict[str, Any]:
    params = selectors.cost_parameters()
    current = selectors.current_version(ret)
    share = selectors.international_share(current)
    return {
        "ret": ret,
        "current": current,
        "versions": list(reversed(list(ret.versions.all()))),
        "estimate": selectors.return_estimate(ret, current, params),
        "share": share * 100 if share is not None else None,
        "params": params,
        "can_amend": p.is_member(ret.licence.holder_id) and p.has_scope("write"),
    }


# -- portal -------------------------------------------------------------------------------------


@_signed_in
def portal_list(request: HttpRequest, p: Principal) -> HttpResponse:
    today = pk_today()
    rows = selectors.obligations(
        today=today, organisation_ids=p.organisation_ids, include_upcoming=True
    )
    returns = selectors.return_list_for(p).filter(licence__holder_id__in=p.organisation_ids)
    return render(
        request,
        "compliance/portal_list.html",
        {
            "today": today,
            "obligations": list(reversed(rows)),
            "returns": returns,
            "licences": selectors.licences_for_filing(p),
            "outstanding": [o for o in rows if o.state in OUTSTANDING_STATES],
        },
    )


def _incidents(formset: Any) -> list[dict[str, Any]]:
    """The incidents of a valid formset: filled-in rows not marked for removal."""
    return [
        f.as_incident()
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


@_signed_in
def portal_file(request: HttpRequest, p: Principal) -> HttpResponse:
    today = pk_today()
    choices: list[tuple[str, str]] = []
    for lic in selectors.licences_for_filing(p):
        for o in selectors.open_periods(lic, today=today):
            state = pgettext("return state", ReturnState(o.state).label).lower()
            choices.append(
                (
                    _period_value(o),
                    _(
                        "%(number)s (%(holder)s): %(period)s, %(start)s to %(end)s, %(state)s, "
                        "due by %(due)s"
                    )
                    % {
                        "number": _number(lic),
                        "holder": lic.holder.name,
                        "period": o.period.label,
                        "start": o.period.start,
                        "end": o.period.end,
                        "state": state,
                        "due": o.period.due_on,
                    },
                )
            )
    form = FileReturnForm(
        request.POST or None, periods=choices, initial={"period": request.GET.get("period")}
    )
    formset = IncidentFormSet(request.POST or None, prefix="incident")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        licence_id, start, end = form.cleaned_data["period"].split(":")
        try:
            licence = selectors.licence_for_filing(p, int(licence_id))
            ret = services.return_file(
                principal=p,
                licence=licence,
                period_start=dt.date.fromisoformat(start),
                period_end=dt.date.fromisoformat(end),
                data=form.figures(_incidents(formset)),
                via=FiledVia.PORTAL,
            )
        except DomainError as exc:
            put_errors(form, exc, formset)
        else:
            messages.success(
                request, _("Return for %(period)s filed.") % {"period": ret.period_label}
            )
            return redirect("returns:detail", pk=ret.pk)
    return render(
        request,
        "compliance/portal_file.html",
        {"form": form, "formset": formset, "has_periods": bool(choices)},
    )


@_signed_in
def portal_upload(request: HttpRequest, p: Principal) -> HttpResponse:
    licences = [
        (str(lic.pk), f"{_number(lic)} ({lic.holder.name})")
        for lic in selectors.licences_for_filing(p)
    ]
    form = UploadReturnForm(request.POST or None, request.FILES or None, licences=licences)
    if request.method == "POST" and form.is_valid():
        try:
            licence = selectors.licence_for_filing(p, int(form.cleaned_data["licence"]))
            ret = services.return_file_csv(
                principal=p, licence=licence, content=form.cleaned_data["file"].read()
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _("Return for %(period)s filed from the CSV file.") % {"period": ret.period_label},
            )
            return redirect("returns:detail", pk=ret.pk)
    return render(
        request,
        "compliance/portal_upload.html",
        {"form": form, "format": csvform.__doc__, "title": _("File a return from a CSV file")},
    )


@_signed_in
def return_detail(request: HttpRequest, p: Principal, pk: int) -> HttpResponse:
    ret = selectors.return_get_for(p, pk)
    staff = request.resolver_match is not None and request.resolver_match.namespace == "compliance"
    return render(request, "compliance/return.html", {**_return_context(ret, p), "staff": staff})


@_signed_in
def return_csv(request: HttpRequest, p: Principal, pk: int) -> HttpResponse:
    ret = selectors.return_get_for(p, pk)
    number = request.GET.get("version")
    version = (
        selectors.version_of(ret, int(number))
        if number and number.isdigit()
        else selectors.current_version(ret)
    )
    response = HttpResponse(csvform.render(ret, version), content_type="text/csv; charset=utf-8")
    name = f"return-{ret.licence.number or ret.licence_id}-{ret.period_label}-v{version.version}"
    response["Content-Disposition"] = f'attachment; filename="{name.replace("/", "-")}.csv"'
    return response


# The same pages at the staff's addresses (/staff/compliance/returns/…): regulator staff only, like
# everything under /staff/ (a licensee reads its own under /portal/returns/).
staff_return_detail = _staff(return_detail.__wrapped__)  # type: ignore[attr-defined]
staff_return_csv = _staff(return_csv.__wrapped__)  # type: ignore[attr-defined]


@_signed_in
def portal_amend(request: HttpRequest, p: Principal, pk: int) -> HttpResponse:
    ret = selectors.return_get_for(p, pk)
    if not p.is_member(ret.licence.holder_id):
        raise Http404("Not found")
    current = selectors.current_version(ret)
    form = AmendForm(request.POST or None, initial=FiguresForm.initial_from(current))
    formset = IncidentFormSet(
        request.POST or None, prefix="incident", initial=incidents_initial(current)
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        incidents = _incidents(formset)
        try:
            services.return_amend(
                principal=p,
                periodic_return=ret,
                data=form.figures(incidents),
                reason=form.cleaned_data["reason"],
                via=FiledVia.PORTAL,
            )
        except DomainError as exc:
            put_errors(form, exc, formset)
        else:
            messages.success(request, _("Amendment filed; the earlier version is kept."))
            return redirect("returns:detail", pk=ret.pk)
    upload = UploadAmendmentForm()
    return render(
        request,
        "compliance/portal_amend.html",
        {"ret": ret, "current": current, "form": form, "formset": formset, "upload": upload},
    )


@_signed_in
@require_POST
def portal_amend_csv(request: HttpRequest, p: Principal, pk: int) -> HttpResponse:
    ret = selectors.return_get_for(p, pk)
    if not p.is_member(ret.licence.holder_id):
        raise Http404("Not found")
    upload = UploadAmendmentForm(request.POST, request.FILES)
    if upload.is_valid():
        try:
            services.return_amend_csv(
                principal=p,
                periodic_return=ret,
                content=upload.cleaned_data["file"].read(),
                reason=upload.cleaned_data["reason"],
            )
        except DomainError as exc:
            upload.add_error("file", exc.message)
        else:
            messages.success(
                request, _("Amendment filed from the CSV file; the earlier version is kept.")
            )
            return redirect("returns:detail", pk=ret.pk)
    current = selectors.current_version(ret)
    return render(
        request,
        "compliance/portal_amend.html",
        {
            "ret": ret,
            "current": current,
            "form": AmendForm(initial=FiguresForm.initial_from(current)),
            "formset": IncidentFormSet(prefix="incident", initial=incidents_initial(current)),
            "upload": upload,
        },
    )


# -- staff --------------------------------------------------------------------------------------


@_staff
def dashboard(request: HttpRequest, p: Principal) -> HttpResponse:
    d = selectors.staff_dashboard(today=pk_today())
    grouped = {f"{state}_by_licence": _by_licence(d[state]) for state in ("due", "late", "missing")}
    return render(
        request,
        "compliance/dashboard.html",
        {
            **d,
            **grouped,
            "disagreement": costs.disagreement(selectors.cost_parameters(), translated=True),
            "charts": dashboard_charts(d),
            "can_record": p.has_role("compliance_officer"),
        },
    )


def _by_licence(rows: list[selectors.Obligation]) -> list[dict[str, Any]]:
    """One row per licence, its periods oldest first: a licensee with ten missing returns is one line."""
    grouped: dict[int, list[selectors.Obligation]] = {}
    for o in rows:
        grouped.setdefault(o.licence.pk, []).append(o)
    return [
        {"licence": obs[0].licence, "obligations": obs, "oldest": obs[0]}
        for obs in sorted(
            grouped.values(), key=lambda obs: (-obs[0].days_overdue, obs[0].licence.holder.name)
        )
    ]


@_staff
def licensee(request: HttpRequest, p: Principal, organisation_id: int) -> HttpResponse:
    from cvas.accounts.models import Organisation

    org = Organisation.objects.filter(pk=organisation_id).first()
    if org is None:
        raise Http404("Not found")
    params = selectors.cost_parameters()
    series = selectors.licensee_series(organisation_id, params)
    today = pk_today()
    rows = selectors.obligations(today=today, organisation_ids=[organisation_id])
    return render(
        request,
        "compliance/licensee.html",
        {
            "org": org,
            "series": series,
            "charts": licensee_charts(org.name, series),
            "obligations": list(reversed(rows)),
            "params": params,
            "licences": Licence.objects.filter(holder=org).select_related("regime"),
            "violations": selectors.violation_list_for(p).filter(licence__holder=org),
        },
    )


@_staff
def staff_returns(request: HttpRequest, p: Principal) -> HttpResponse:
    flagged = request.GET.get("flagged")
    qs = selectors.return_list_for(p, flagged=True if flagged == "1" else None)
    return render(
        request, "compliance/staff_returns.html", {"returns": qs[:500], "flagged": flagged}
    )


@_staff
def violations(request: HttpRequest, p: Principal) -> HttpResponse:
    state = request.GET.get("state") or None
    try:
        qs = selectors.violation_list_for(p, state=state, open_only=request.GET.get("open") == "1")
    except DomainError as exc:
        messages.error(request, exc.message)
        qs = selectors.violation_list_for(p)
    return render(
        request,
        "compliance/violations.html",
        {"violations": qs[:500], "states": ViolationState.choices, "state": state},
    )


@_staff
def violation_new(request: HttpRequest, p: Principal) -> HttpResponse:
    licences = [
        (
            str(lic.pk),
            f"{_number(lic)} ({lic.holder.name}, {_(LicenceStatus(lic.status).label).lower()})",
        )
        for lic in Licence.objects.select_related("holder").order_by("holder__name", "pk")
    ]
    form = ViolationForm(
        request.POST or None,
        licences=licences,
        initial={"licence": request.GET.get("licence"), "occurred_on": pk_today()},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            licence = Licence.objects.get(pk=int(d["licence"]))
            v = services.violation_record(
                principal=p,
                licence=licence,
                kind=d["kind"],
                occurred_on=d["occurred_on"],
                evidence=d["evidence"],
                sanction=d["sanction"] or "",
                fine_amount_pkr=d["fine_amount_pkr"],
                reason=d["reason"],
            )
        except DomainError as exc:
            _raise_refusal(exc)
            put_errors(form, exc)
        else:
            messages.success(request, _("Violation %(ref)s recorded.") % {"ref": v.reference})
            return redirect("compliance:violation", pk=v.pk)
    return render(request, "compliance/violation_new.html", {"form": form})


@_staff
def violation_detail(request: HttpRequest, p: Principal, pk: int) -> HttpResponse:
    v = selectors.violation_get_for(p, pk)
    return render(
        request,
        "compliance/violation.html",
        {
            "v": v,
            "propose": ProposeForm(initial={"sanction": v.proposed_sanction or None}),
            "decide": DecideForm(),
            "reason_form": ReasonForm(),
            "open": v.state in OPEN_VIOLATION_STATES,
        },
    )


@_staff
@require_POST
def violation_action(request: HttpRequest, p: Principal, pk: int, action: str) -> HttpResponse:
    v = selectors.violation_get_for(p, pk)
    try:
        if action == "propose":
            form: Any = ProposeForm(request.POST)
            if not form.is_valid():
                raise DomainError(_form_problems(form))
            services.violation_propose(
                principal=p,
                violation=v,
                sanction=form.cleaned_data["sanction"],
                fine_amount_pkr=form.cleaned_data["fine_amount_pkr"],
                reason=form.cleaned_data["reason"],
            )
        elif action == "decide":
            form = DecideForm(request.POST)
            if not form.is_valid():
                raise DomainError(_form_problems(form))
            services.violation_decide(
                principal=p,
                violation=v,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        elif action in ("confirm", "dismiss"):
            reason = request.POST.get("reason", "")
            fn = services.violation_confirm if action == "confirm" else services.violation_dismiss
            fn(principal=p, violation=v, reason=reason)
        else:
            raise Http404("Not found")
    except DomainError as exc:
        _raise_refusal(exc)
        messages.error(request, exc.message)
    else:
        done = {
            "propose": pgettext("violation action", "propose"),
            "decide": pgettext("violation action", "decide"),
            "confirm": pgettext("violation action", "confirm"),
            "dismiss": pgettext("violation action", "dismiss"),
        }[action]
        messages.success(
            request, _("%(ref)s: done (%(action)s).") % {"ref": v.reference, "action": done}
        )
    return redirect("compliance:violation", pk=pk)


@_staff
def cost_model(request: HttpRequest, p: Principal) -> HttpResponse:
    if request.method == "POST":
        form = CostParameterForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.cost_parameter_set(
                    principal=p,
                    key=d["key"],
                    value=d["value"],
                    source=d["source"],
                    as_of=d["as_of"],
                    is_assumption=d["is_assumption"],
                )
            except DomainError as exc:
                _raise_refusal(exc)
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Parameter changed; every estimate now uses it."))
                return redirect("compliance:cost_model")
        else:
            messages.error(request, _form_problems(form))
    params = selectors.cost_parameters()

    forms_by_key = {
        key: CostParameterForm(
            initial={
                "key": key,
                "value": f"{item.value.normalize():f}",
                "source": item.source,
                "as_of": item.as_of,
                "is_assumption": item.is_assumption,
            },
            auto_id=f"id_{key}_%s",
        )
        for key, item in params.items.items()
    }
    example_bytes = 10**12 * 90 * 86400 // 8 // 100  # 1% of 1 Tbps for a 90-day quarter
    example = costs.estimate(example_bytes, dt.date(2026, 1, 1), dt.date(2026, 3, 31), params)
    return render(
        request,
        "compliance/cost_model.html",
        {
            "params": params,
            "disagreement": costs.disagreement(params, translated=True),
            "forms": [(params.items[k], f) for k, f in forms_by_key.items()],
            "can_edit": p.has_role("administrator", "compliance_officer"),
            "example": example,
            "example_tb": Decimal(example_bytes) / Decimal(10**12),
        },
    )


@_staff
def reminders(request: HttpRequest, p: Principal) -> HttpResponse:
    return render(
        request, "compliance/reminders.html", {"reminders": selectors.reminder_list()[:500]}
    )
