"""Organisation portal pages: thin views over the accounts and licensing services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cvas.accounts import services as accounts
from cvas.accounts.models import ApiKey, Membership, Organisation
from cvas.accounts.principal import Principal
from cvas.accounts.services import api_key_create, organisation_create
from cvas.accounts.signup import signup_request
from cvas.core.errors import DomainError, InvalidInput, NotFound
from cvas.core.rate_limit import rate_limited
from cvas.licensing import selectors, services
from cvas.licensing.choices import (
    EDITABLE_APPLICATION_STATES,
    ApplicationState,
)
from cvas.licensing.models import Application, ApplicationDocument, Licence
from cvas.portal import forms
from cvas.portal import services as portal_services
from cvas.portal.checklist import missing_items
from cvas.public.web import attach_errors, form_errors_json, page, plain_message, wants_json

STEPS = [
    ("service", gettext_lazy("Service")),
    ("brands", gettext_lazy("Brands")),
    ("gateways", gettext_lazy("Gateways")),
    ("declarations", gettext_lazy("Declarations and fee")),
    ("documents", gettext_lazy("Documents")),
    ("review", gettext_lazy("Check and submit")),
]
STEP_NAMES = [s for s, _label in STEPS]


def _steps() -> list[tuple[str, str]]:
    return [(slug, str(name)) for slug, name in STEPS]


def _principal(request: HttpRequest) -> Principal:
    p = Principal.from_request(request)
    p.require_authenticated()
    return p


def _organisation(p: Principal, pk: int) -> Organisation:
    p.require_member(pk)
    org = Organisation.objects.filter(pk=pk).first()
    if org is None:
        raise NotFound(_("Not found."))
    return org


def _application(p: Principal, pk: int) -> Application:
    app = selectors.application_get_for(p, pk)
    p.require_member(app.organisation_id)  # the portal shows only one's own organisations'
    return app


# -- home, sign-up, organisations ---------------------------------------------------------------


@page
def home(request: HttpRequest) -> HttpResponse:
    p = _principal(request)
    if not p.memberships and p.is_staff_reader:
        return redirect("staff:home")
    orgs = Organisation.objects.filter(pk__in=p.organisation_ids).order_by("name")
    apps = (
        Application.objects.filter(organisation_id__in=p.organisation_ids)
        .select_related("organisation")
        .order_by("-updated_at")[:10]
    )
    licences = (
        Licence.objects.filter(holder_id__in=p.organisation_ids)
        .select_related("holder", "regime")
        .order_by("expires_on")
    )
    waiting = [a for a in apps if a.state == ApplicationState.INFORMATION_REQUESTED]
    return render(
        request,
        "portal/home.html",
        {"orgs": orgs, "applications": apps, "licences": licences, "waiting": waiting},
    )


@rate_limited("sign-in", methods=("POST",))
def sign_up(request: HttpRequest) -> HttpResponse:
    """A new account, usable once the link sent to its address is opened (cvas.accounts.signup);
    the answer is the same whether or not the address already had an account."""
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signup_request(
                email=data["email"], full_name=data["full_name"], password=data["password1"]
            )
        except DomainError as exc:
            form.add_error("email", plain_message(exc))
        else:
            return redirect("accounts:sign_up_sent")
    return render(request, "portal/sign_up.html", {"form": form})


@page
def organisations(request: HttpRequest) -> HttpResponse:
    p = _principal(request)
    orgs = Organisation.objects.filter(pk__in=p.organisation_ids).order_by("name")
    return render(request, "portal/organisations.html", {"orgs": orgs, "roles": p.memberships})


@page
def organisation_new(request: HttpRequest) -> HttpResponse:
    p = _principal(request)
    form = forms.OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = organisation_create(actor=p.actor, creator=p.user, **form.cleaned_data)
        except DomainError as exc:
            attach_errors(form, exc, {"name": "name", "kind": "kind"} if exc.details else None)
            if exc.code == "duplicate" and "name" not in form.errors:
                form.add_error("name", _("An organisation with this name is already registered."))
        else:
            messages.success(
                request, _("%(name)s is created; you are its manager.") % {"name": org.name}
            )
            return redirect("portal:organisation", pk=org.pk)
    return render(request, "portal/organisation_new.html", {"form": form})


def _org_context(p: Principal, org: Organisation, **extra: Any) -> dict[str, Any]:
    return {
        "org": org,
        "is_manager": p.is_manager(org),
        "memberships": Membership.objects.filter(organisation=org)
        .select_related("user")
        .order_by("user__email"),
        "member_form": extra.pop("member_form", None) or forms.MemberForm(),
        "key_form": extra.pop("key_form", None) or forms.ApiKeyForm(),
        "keys": ApiKey.objects.filter(organisation=org).select_related("created_by"),
        "role_form": forms.RoleForm(),
        "now": timezone.now(),
        **extra,
    }


@page
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    org = _organisation(p, pk)
    return render(request, "portal/organisation.html", _org_context(p, org))


@page
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    org = _organisation(p, pk)
    form = forms.MemberForm(request.POST)
    if form.is_valid():
        try:
            m = portal_services.member_add(
                principal=p,
                organisation=org,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            attach_errors(form, exc)
        else:
            messages.success(request, _("%(email)s is now a member.") % {"email": m.user.email})
            return redirect("portal:organisation", pk=org.pk)
    return render(
        request, "portal/organisation.html", _org_context(p, org, member_form=form), status=422
    )


@page
@require_POST
def member_change(request: HttpRequest, pk: int, membership_id: int) -> HttpResponse:
    p = _principal(request)
    org = _organisation(p, pk)
    membership = (
        Membership.objects.filter(pk=membership_id, organisation=org)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        raise Http404
    try:
        if request.POST.get("remove"):
            portal_services.member_remove(principal=p, membership=membership)
            messages.success(
                request, _("%(email)s is no longer a member.") % {"email": membership.user.email}
            )
        else:
            form = forms.RoleForm(request.POST)
            if not form.is_valid():
                raise InvalidInput(_("Choose a role."))
            portal_services.member_set_role(
                principal=p, membership=membership, role=form.cleaned_data["role"]
            )
            messages.success(
                request, _("The role of %(email)s is changed.") % {"email": membership.user.email}
            )
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(
            request,
            plain_message(exc)
            if exc.code != "last_manager"
            else _(
                "The organisation must keep at least one manager; make someone else a manager first."
            ),
        )
    return redirect("portal:organisation", pk=org.pk)


@page
@require_POST
def api_key_new(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    org = _organisation(p, pk)
    form = forms.ApiKeyForm(request.POST)
    token = None
    if form.is_valid():
        try:
            _key, token = api_key_create(
                principal=p,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=timezone.now() + dt.timedelta(days=form.cleaned_data["days"]),
                organisation=org,
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            attach_errors(form, exc)
    status = 200 if token else 422
    return render(
        request,
        "portal/organisation.html",
        _org_context(p, org, key_form=form, new_token=token),
        status=status,
    )


@page
@require_POST
def api_key_revoke(request: HttpRequest, pk: int, key_id: int) -> HttpResponse:
    p = _principal(request)
    org = _organisation(p, pk)
    key = ApiKey.objects.filter(pk=key_id, organisation=org).first()
    if key is None:
        raise Http404
    accounts.api_key_revoke(principal=p, key=key)
    messages.success(request, _("The key %(name)s is revoked.") % {"name": key.name})
    return redirect("portal:organisation", pk=org.pk)


# -- applications -----------------------------------------------------------------------------


@page
def applications(request: HttpRequest) -> HttpResponse:
    p = _principal(request)
    apps = (
        Application.objects.filter(organisation_id__in=p.organisation_ids)
        .select_related("organisation")
        .order_by("-updated_at", "-pk")
    )
    orgs = Organisation.objects.filter(pk__in=p.organisation_ids).order_by("name")
    return render(request, "portal/applications.html", {"applications": apps, "orgs": orgs})


@page
def application_new(request: HttpRequest) -> HttpResponse:
    p = _principal(request)
    orgs = list(Organisation.objects.filter(pk__in=p.organisation_ids).order_by("name"))
    if not orgs:
        messages.info(request, _("First create the organisation that applies."))
        return redirect("portal:organisation_new")
    if request.method == "POST":
        try:
            org = _organisation(p, int(request.POST.get("organisation") or orgs[0].pk))
        except ValueError:
            raise Http404 from None
        app = services.application_create(principal=p, organisation=org)
        messages.success(
            request, _("Draft %(ref)s is started. It is saved as you go.") % {"ref": app.reference}
        )
        return redirect("portal:application_step", pk=app.pk, step=STEP_NAMES[0])
    return render(request, "portal/application_new.html", {"orgs": orgs})


def _app_context(app: Application, **extra: Any) -> dict[str, Any]:
    transitions = list(app.transitions.select_related("actor").all())
    question = next(
        (t for t in reversed(transitions) if t.to_state == ApplicationState.INFORMATION_REQUESTED),
        None,
    )
    return {
        "app": app,
        "editable": app.state in EDITABLE_APPLICATION_STATES,
        "documents": app.documents.filter(removed_at__isnull=True),
        "transitions": transitions,
        "question": question,
        "missing": missing_items(app),
        "steps": _steps(),
        "licence": Licence.objects.filter(application=app).first(),
        **extra,
    }


@page
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    app = _application(p, pk)
    return render(
        request,
        "portal/application.html",
        _app_context(app, respond_form=forms.RespondForm(), withdraw_form=forms.WithdrawForm()),
    )


def _brand_rows(app: Application) -> int:
    return min(max(len(app.brands) + 1, 2), services.MAX_BRANDS)


def _step_form(step: str, app: Application, data: Any = None) -> Any:
    if step == "service":
        return forms.ServiceForm(data, initial={"service_description": app.service_description})
    if step == "brands":
        initial = {}
        for i, b in enumerate(app.brands):
            initial[f"name_{i}"] = b["name"]
            initial[f"websites_{i}"] = ", ".join(b.get("websites", []))
        rows = _brand_rows(app)
        if data is not None:
            rows = max(rows, sum(1 for k in data if k.startswith("name_")))
            if data.get("add_row"):
                rows = min(rows + 1, services.MAX_BRANDS)
        return forms.BrandsForm(data, initial=initial, rows=rows)
    if step == "gateways":
        return forms.GatewaysForm(
            data, initial={"gateway_prefixes": "\n".join(app.gateway_prefixes)}
        )
    if step == "declarations":
        initial = {f"decl_{k}": v for k, v in app.declarations.items()}
        initial["fee_payment_reference"] = app.fee_payment_reference
        return forms.DeclarationsForm(data, initial=initial)
    return None


def _step_data(step: str, form: Any) -> dict[str, Any]:
    if step == "service":
        return {"service_description": form.cleaned_data["service_description"]}
    if step == "brands":
        return {"brands": form.brands()}
    if step == "gateways":
        return {"gateway_prefixes": form.cleaned_data["gateway_prefixes"]}
    return {
        "declarations": form.declarations(),
        "fee_payment_reference": form.cleaned_data["fee_payment_reference"],
    }


def _step_field_map(step: str, form: Any) -> Any:
    def brand_field(name: str) -> tuple[str | None, str]:
        # brands[i].name / brands[i].websites[j]: the row i of the form (its non-empty rows in order)
        import re

        match = re.match(r"brands\[(\d+)\]\.(name|websites)", name)
        if not match:
            return None, ""
        filled = [
            i
            for i in range(form.rows)
            if form.cleaned_data.get(f"name_{i}") or form.cleaned_data.get(f"websites_{i}")
        ]
        index = int(match.group(1))
        row = filled[index] if index < len(filled) else 0
        return f"{match.group(2)}_{row}", ""

    def gateway_field(name: str) -> tuple[str | None, str]:
        import re

        match = re.match(r"gateway_prefixes\[(\d+)\]", name)
        prefix = _("Line %(n)s: ") % {"n": int(match.group(1)) + 1} if match else ""
        return "gateway_prefixes", prefix

    if step == "brands":
        return brand_field
    if step == "gateways":
        return gateway_field
    if step == "declarations":
        return {"fee_payment_reference": "fee_payment_reference"}
    return {"service_description": "service_description"}


@page
def application_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    p = _principal(request)
    app = _application(p, pk)
    if step not in STEP_NAMES:
        raise Http404
    editable = app.state in EDITABLE_APPLICATION_STATES
    if not editable and step != "review":
        messages.info(request, _("This application can no longer be changed."))
        return redirect("portal:application", pk=app.pk)
    form = _step_form(step, app, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form is not None:
        autosave = wants_json(request)
        if form.is_valid():
            try:
                app = services.application_update(
                    principal=p, application=app, data=_step_data(step, form)
                )
            except DomainError as exc:
                if exc.status in (401, 403, 404):
                    raise
                attach_errors(form, exc, _step_field_map(step, form))
            else:
                if autosave:
                    return JsonResponse(
                        {"ok": True, "saved_at": formats.time_format(timezone.localtime(), "H:i")}
                    )
                if request.POST.get("add_row"):
                    return redirect(request.path + "#brands")
                nxt = STEP_NAMES[min(STEP_NAMES.index(step) + 1, len(STEP_NAMES) - 1)]
                if request.POST.get("stay"):
                    messages.success(request, _("Saved."))
                    return redirect("portal:application_step", pk=app.pk, step=step)
                return redirect("portal:application_step", pk=app.pk, step=nxt)
        if autosave:
            return form_errors_json(form)
        status = 422
    index = STEP_NAMES.index(step)
    context = _app_context(
        app,
        form=form,
        step=step,
        step_label=dict(_steps())[step],
        step_number=index + 1,
        previous_step=STEP_NAMES[index - 1] if index else None,
        document_form=forms.DocumentForm() if step == "documents" else None,
        max_bytes=settings.DOCUMENT_MAX_BYTES,
    )
    return render(request, f"portal/step_{step}.html", context, status=status)


@page
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    app = _application(p, pk)
    form = forms.DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            doc = services.document_add(
                principal=p,
                application=app,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            attach_errors(form, exc, {"file": "file", "kind": "kind"})
        else:
            if wants_json(request):
                return JsonResponse({"ok": True, "document": doc.pk, "name": doc.original_name})
            messages.success(request, _("%(name)s is uploaded.") % {"name": doc.original_name})
            return redirect(_after_document(request, app))
    if wants_json(request):
        return form_errors_json(form)
    context = _app_context(
        app,
        form=None,
        step="documents",
        step_label=dict(_steps())["documents"],
        step_number=STEP_NAMES.index("documents") + 1,
        previous_step="declarations",
        document_form=form,
        max_bytes=settings.DOCUMENT_MAX_BYTES,
    )
    return render(request, "portal/step_documents.html", context, status=422)


def _after_document(request: HttpRequest, app: Application) -> str:
    if request.POST.get("back") == "application":
        return reverse("portal:application", args=[app.pk])
    return reverse("portal:application_step", args=[app.pk, "documents"])


def _document(app: Application, doc_id: int) -> ApplicationDocument:
    doc = app.documents.filter(pk=doc_id).first()
    if doc is None:
        raise Http404
    return doc


@page
def document_download(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    p = _principal(request)
    app = _application(p, pk)
    doc = _document(app, doc_id)
    return FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=doc.original_name,
        content_type="application/pdf",
    )


@page
@require_POST
def document_remove(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    p = _principal(request)
    app = _application(p, pk)
    doc = _document(app, doc_id)
    try:
        services.document_remove(principal=p, document=doc)
        messages.success(request, _("%(name)s is removed.") % {"name": doc.original_name})
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, plain_message(exc))
    return redirect(_after_document(request, app))


@page
@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    app = _application(p, pk)
    try:
        services.application_submit(principal=p, application=app)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        if exc.code != "incomplete_application":
            messages.error(request, plain_message(exc))
        return redirect("portal:application_step", pk=app.pk, step="review")
    messages.success(
        request,
        _("Application %(ref)s is submitted. You will be told of each decision.")
        % {"ref": app.reference},
    )
    return redirect("portal:application", pk=app.pk)


@page
@require_POST
def application_respond(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    app = _application(p, pk)
    form = forms.RespondForm(request.POST)
    if form.is_valid():
        try:
            services.application_respond(
                principal=p, application=app, response=form.cleaned_data["response"]
            )
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            if exc.code == "incomplete_application":
                form.add_error(
                    None, _("The application is not complete; see what is missing below.")
                )
            else:
                attach_errors(form, exc, {"response": "response"})
        else:
            messages.success(request, _("Your answer is sent and the application resubmitted."))
            return redirect("portal:application", pk=app.pk)
    return render(
        request,
        "portal/application.html",
        _app_context(app, respond_form=form, withdraw_form=forms.WithdrawForm()),
        status=422,
    )


@page
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    app = _application(p, pk)
    form = forms.WithdrawForm(request.POST)
    if form.is_valid() and request.POST.get("confirm"):
        try:
            services.application_withdraw(
                principal=p, application=app, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            messages.error(request, plain_message(exc))
        else:
            messages.success(
                request, _("Application %(ref)s is withdrawn.") % {"ref": app.reference}
            )
        return redirect("portal:application", pk=app.pk)
    return render(request, "portal/withdraw_confirm.html", {"app": app, "form": form})


# -- licences ---------------------------------------------------------------------------------


@page
def licences(request: HttpRequest) -> HttpResponse:
    p = _principal(request)
    rows = (
        Licence.objects.filter(holder_id__in=p.organisation_ids)
        .select_related("holder", "regime")
        .prefetch_related("brands")
        .order_by("holder__name", "issued_on")
    )
    return render(request, "portal/licences.html", {"licences": rows})


def _licence(p: Principal, pk: int, *, staff_may_read: bool = False) -> Licence:
    lic = Licence.objects.select_related("holder", "regime", "application").filter(pk=pk).first()
    if lic is None:
        raise NotFound(_("Not found."))
    if staff_may_read:
        p.require_can_read_organisation(lic.holder_id)
    else:
        p.require_member(lic.holder_id)
    return lic


@page
def licence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _principal(request)
    lic = _licence(p, pk)
    return render(
        request,
        "portal/licence.html",
        {
            "licence": lic,
            "brands": lic.brands.prefetch_related("domains"),
            "events": lic.events.all(),
        },
    )


def verification_url(licence: Licence) -> str:
    return f"{settings.SITE_URL}{reverse('verify_token', args=[licence.verification_token])}"


@page
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable certificate; its QR code opens the stable verification page /v/<token>/."""
    p = _principal(request)
    lic = _licence(p, pk, staff_may_read=True)
    url = verification_url(lic)
    qr = segno.make(url, error="m")
    return render(
        request,
        "portal/certificate.html",
        {
            "licence": lic,
            "brands": lic.brands.prefetch_related("domains"),
            "verify_url": url,
            "qr_svg": qr.svg_inline(scale=4, border=2, title=_("QR code: %(url)s") % {"url": url}),
        },
    )
