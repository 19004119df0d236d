"""Back-office pages for regulator staff: thin views over the licensing, accounts and audit services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cvas.accounts.choices import StaffRole
from cvas.accounts.models import StaffRoleGrant, User
from cvas.accounts.principal import Principal
from cvas.accounts.services import role_grant, role_revoke, user_create
from cvas.backoffice import forms
from cvas.backoffice import selectors as staff
from cvas.core.errors import DomainError, NotFound
from cvas.core.timeutil import pk_today
from cvas.licensing import selectors, services
from cvas.licensing.choices import ApplicationState, LicenceStatus
from cvas.licensing.models import Application, Licence, Regime
from cvas.portal.checklist import missing_items
from cvas.public.labels import label, translated_choices
from cvas.public.web import attach_errors, page, plain_message

S = ApplicationState
LICENCE_SERVICES = {
    "suspend": services.licence_suspend,
    "reinstate": services.licence_reinstate,
    "revoke": services.licence_revoke,
    "renew": services.licence_renew,
    "surrender": services.licence_surrender,
}
# Which actions make sense from which status (the services decide; this only hides useless buttons).
ACTIONS_FROM = {
    LicenceStatus.ACTIVE: ["suspend", "revoke", "renew", "surrender"],
    LicenceStatus.SUSPENDED: ["reinstate", "revoke", "surrender"],
}


def _staff(request: HttpRequest) -> Principal:
    p = Principal.from_request(request)
    p.require_authenticated()
    if not p.is_staff_reader:
        raise NotFound(_("Not found."))
    return p


def _officer_choices() -> list[tuple[str, str]]:
    return [(str(u.pk), u.full_name or u.email) for u in staff.officers()]


@page
def home(request: HttpRequest) -> HttpResponse:
    p = _staff(request)
    queue = selectors.review_queue()
    counts = dict(queue.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    mine = queue.filter(assigned_to=p.user).count() if p.user else 0
    licence_counts = dict(
        Licence.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return render(
        request,
        "backoffice/home.html",
        {
            "queue_counts": [
                (label(ApplicationState, s), counts.get(s, 0), s)
                for s in (S.SUBMITTED, S.RESUBMITTED, S.UNDER_REVIEW, S.INFORMATION_REQUESTED)
            ],
            "mine": mine,
            "licence_counts": [
                (label(LicenceStatus, s), licence_counts.get(s, 0), s) for s in LicenceStatus.values
            ],
            "recent": staff.audit_events()[:8],
        },
    )


@page
def queue(request: HttpRequest) -> HttpResponse:
    p = _staff(request)
    officers = _officer_choices()
    form = forms.QueueFilterForm(request.GET or None, officers=officers)
    state = assignee = ""
    if form.is_valid():
        state, assignee = form.cleaned_data["state"], form.cleaned_data["assignee"]
    qs = selectors.review_queue(state=state or None)
    if assignee == "me" and p.user:
        qs = qs.filter(assigned_to=p.user)
    elif assignee == "none":
        qs = qs.filter(assigned_to__isnull=True)
    elif assignee:
        qs = qs.filter(assigned_to_id=int(assignee))
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {"app": a, "age": (now - a.submitted_at).days if a.submitted_at else None} for a in page_obj
    ]
    return render(request, "backoffice/queue.html", {"form": form, "page": page_obj, "rows": rows})


def _application(p: Principal, pk: int) -> Application:
    return selectors.application_get_for(p, pk)


def _app_context(p: Principal, app: Application, **extra: Any) -> dict[str, Any]:
    return {
        "app": app,
        "documents": app.documents.all(),
        "transitions": app.transitions.all(),
        "missing": missing_items(app),
        "licence": Licence.objects.filter(application=app).first(),
        "can_decide": p.has_role(StaffRole.LICENSING_OFFICER),
        "can_take": app.state in (S.SUBMITTED, S.RESUBMITTED),
        "decision_form": extra.pop("decision_form", None) or forms.DecisionForm(),
        "assign_form": forms.AssignForm(
            initial={"officer": str(app.assigned_to_id or "")}, officers=_officer_choices()
        ),
        **extra,
    }


@page
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _staff(request)
    app = _application(p, pk)
    return render(request, "backoffice/application.html", _app_context(p, app))


@page
@require_POST
def application_take(request: HttpRequest, pk: int) -> HttpResponse:
    p = _staff(request)
    app = _application(p, pk)
    try:
        services.application_take(principal=p, application=app)
        messages.success(
            request, _("%(ref)s is under review, assigned to you.") % {"ref": app.reference}
        )
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, plain_message(exc))
    return redirect("staff:application", pk=app.pk)


@page
@require_POST
def application_assign(request: HttpRequest, pk: int) -> HttpResponse:
    p = _staff(request)
    app = _application(p, pk)
    form = forms.AssignForm(request.POST, officers=_officer_choices())
    if form.is_valid():
        officer = (
            User.objects.filter(pk=form.cleaned_data["officer"]).first()
            if form.cleaned_data["officer"]
            else None
        )
        try:
            services.application_assign(principal=p, application=app, officer=officer)
            messages.success(request, _("Assignee changed."))
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            messages.error(request, plain_message(exc))
    return redirect("staff:application", pk=app.pk)


@page
@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    p = _staff(request)
    app = _application(p, pk)
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        try:
            if decision == "approve":
                lic = services.application_approve(principal=p, application=app, reason=reason)
                messages.success(
                    request, _("Approved: licence %(number)s is issued.") % {"number": lic.number}
                )
            elif decision == "reject":
                services.application_reject(principal=p, application=app, reason=reason)
                messages.success(request, _("%(ref)s is rejected.") % {"ref": app.reference})
            else:
                services.application_request_information(
                    principal=p, application=app, reason=reason
                )
                messages.success(request, _("The applicant is asked for more information."))
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            attach_errors(form, exc, {"reason": "reason"})
        else:
            return redirect("staff:application", pk=app.pk)
    app.refresh_from_db()
    return render(
        request, "backoffice/application.html", _app_context(p, app, decision_form=form), status=422
    )


@page
def document_download(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    p = _staff(request)
    app = _application(p, pk)
    doc = app.documents.filter(pk=doc_id).first()
    if doc is None:
        raise Http404
    return FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=doc.original_name,
        content_type="application/pdf",
    )


# -- licences -------------------------------------------------------------------------------


@page
def licences(request: HttpRequest) -> HttpResponse:
    _staff(request)
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:200]
    try:
        qs = selectors.licence_list(
            q=q or None, status=status or None, sort=request.GET.get("sort") or "expires"
        )
    except DomainError:
        qs = selectors.licence_list(sort="expires")
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/licences.html",
        {
            "page": page_obj,
            "status": status,
            "q": q,
            "statuses": translated_choices(LicenceStatus),
            "today": pk_today(),
        },
    )


def _licence(pk: int) -> Licence:
    lic = Licence.objects.select_related("holder", "regime", "application").filter(pk=pk).first()
    if lic is None:
        raise NotFound(_("Not found."))
    return lic


def _licence_context(p: Principal, lic: Licence, **extra: Any) -> dict[str, Any]:
    allowed = ACTIONS_FROM.get(LicenceStatus(lic.status), [])
    return {
        "licence": lic,
        "brands": lic.brands.prefetch_related("domains"),
        "events": lic.events.all(),
        "can_act": p.has_role(StaffRole.LICENSING_OFFICER),
        "actions": [(a, str(forms.LICENCE_ACTIONS[a])) for a in allowed],
        "number_form": forms.NumberForm() if lic.is_public_record and not lic.number else None,
        **extra,
    }


@page
def licence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _staff(request)
    lic = _licence(pk)
    return render(request, "backoffice/licence.html", _licence_context(p, lic))


@page
def licence_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Two steps: the form (with its reason) leads to a confirmation page; only that one acts."""
    p = _staff(request)
    p.require_role(StaffRole.LICENSING_OFFICER)
    lic = _licence(pk)
    if request.method == "GET":
        form = forms.LicenceActionForm(initial={"action": request.GET.get("action", "")})
        return render(
            request,
            "backoffice/licence_action.html",
            {"licence": lic, "form": form, "confirm": False},
        )
    form = forms.LicenceActionForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "backoffice/licence_action.html",
            {"licence": lic, "form": form, "confirm": False},
            status=422,
        )
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    if not request.POST.get("confirmed"):
        return render(
            request,
            "backoffice/licence_action.html",
            {
                "licence": lic,
                "form": form,
                "confirm": True,
                "action": action,
                "action_label": forms.LICENCE_ACTIONS[action],
                "reason": reason,
            },
        )
    try:
        LICENCE_SERVICES[action](principal=p, licence=lic, reason=reason)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        attach_errors(form, exc, {"reason": "reason"})
        return render(
            request,
            "backoffice/licence_action.html",
            {"licence": lic, "form": form, "confirm": False},
            status=422,
        )
    lic.refresh_from_db()
    messages.success(
        request,
        _("Done: the licence is now %(status)s.") % {"status": label(LicenceStatus, lic.status)},
    )
    return redirect("staff:licence", pk=lic.pk)


@page
@require_POST
def licence_number(request: HttpRequest, pk: int) -> HttpResponse:
    p = _staff(request)
    lic = _licence(pk)
    form = forms.NumberForm(request.POST)
    if form.is_valid():
        try:
            services.licence_record_number(
                principal=p, licence=lic, number=form.cleaned_data["number"]
            )
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            attach_errors(form, exc, {"number": "number"})
        else:
            messages.success(request, _("The official number is recorded."))
            return redirect("staff:licence", pk=lic.pk)
    return render(
        request, "backoffice/licence.html", _licence_context(p, lic, number_form=form), status=422
    )


# -- audit --------------------------------------------------------------------------------------


@page
def audit(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = forms.AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = staff.audit_events(**{k: v for k, v in filters.items() if v})
    page_obj = Paginator(qs, 25).get_page(request.GET.get("page"))
    events = [{"event": e, "changes": staff.changes(e.before, e.after)} for e in page_obj]
    return render(
        request, "backoffice/audit.html", {"form": form, "page": page_obj, "events": events}
    )


# -- administration -------------------------------------------------------------------------------


@page
def regimes(request: HttpRequest) -> HttpResponse:
    p = _staff(request)
    return render(
        request,
        "backoffice/regimes.html",
        {
            "regimes": selectors.regime_list(),
            "in_force": selectors.regime_in_force(pk_today()),
            "can_edit": p.has_role(StaffRole.ADMINISTRATOR),
        },
    )


def _regime_initial(regime: Regime) -> dict[str, Any]:
    import json

    data = {f: getattr(regime, f) for f in services.REGIME_FIELDS}
    data["code"] = regime.code
    data["fees"] = json.dumps(regime.fees, ensure_ascii=False, indent=1) if regime.fees else ""
    data["sources"] = "\n".join(regime.sources)
    return data


@page
def regime_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    p = _staff(request)
    p.require_role(StaffRole.ADMINISTRATOR)
    regime = Regime.objects.filter(code=code).first() if code else None
    if code and regime is None:
        raise Http404
    initial = (
        _regime_initial(regime)
        if regime
        else {
            "licence_validity_years": 15,
            "return_deadline_days": 30,
            "return_period": "quarterly",
        }
    )
    form = forms.RegimeForm(request.POST or None, initial=initial, editing=regime is not None)
    if request.method == "POST" and form.is_valid():
        target = regime.code if regime else form.cleaned_data["code"]
        if regime is None and Regime.objects.filter(code=target).exists():
            form.add_error("code", _("A regime with this code exists already."))
        else:
            try:
                _saved, changed = services.regime_upsert(
                    actor=p.actor, code=target, values=form.values()
                )
            except DomainError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, _("Regime saved.") if changed else _("Nothing changed."))
                return redirect("staff:regimes")
    return render(
        request,
        "backoffice/regime_form.html",
        {"form": form, "regime": regime},
        status=422 if form.errors else 200,
    )


@page
def users(request: HttpRequest) -> HttpResponse:
    p = _staff(request)
    p.require_role(StaffRole.ADMINISTRATOR)
    q = request.GET.get("q", "").strip()[:200]
    qs = User.objects.prefetch_related("staff_roles", "memberships__organisation").order_by("email")
    if q:
        qs = qs.filter(Q(email__icontains=q) | Q(full_name__icontains=q))
    only_staff = request.GET.get("staff") == "1"
    if only_staff:
        qs = qs.filter(staff_roles__isnull=False).distinct()
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/users.html",
        {"page": page_obj, "q": q, "only_staff": only_staff, "roles_form": forms.RolesForm()},
    )


@page
def user_new(request: HttpRequest) -> HttpResponse:
    p = _staff(request)
    p.require_role(StaffRole.ADMINISTRATOR)
    form = forms.StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(
                actor=p.actor,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
            )
            role_grant(actor=p.actor, user=user, role=form.cleaned_data["role"])
        except DomainError as exc:
            attach_errors(form, exc, {"": "email"} if exc.code == "duplicate" else None)
            if exc.code == "duplicate" and not form.errors.get("email"):
                form.add_error("email", _("An account for this e-mail address already exists."))
        else:
            messages.success(request, _("%(email)s can now sign in.") % {"email": user.email})
            return redirect("staff:users")
    return render(
        request, "backoffice/user_new.html", {"form": form}, status=422 if form.errors else 200
    )


@page
@require_POST
def user_roles(request: HttpRequest, pk: int) -> HttpResponse:
    p = _staff(request)
    p.require_role(StaffRole.ADMINISTRATOR)
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise Http404
    form = forms.RolesForm(request.POST)
    if form.is_valid():
        wanted = set(form.cleaned_data["roles"])
        held = set(StaffRoleGrant.objects.filter(user=user).values_list("role", flat=True))
        if user == p.user and StaffRole.ADMINISTRATOR in held - wanted:
            messages.error(request, _("You cannot take the administrator role from yourself."))
            return redirect("staff:users")
        for role in sorted(wanted - held):
            role_grant(actor=p.actor, user=user, role=role)
        for role in sorted(held - wanted):
            role_revoke(actor=p.actor, user=user, role=role)
        messages.success(request, _("The roles of %(email)s are saved.") % {"email": user.email})
    return redirect("staff:users")
