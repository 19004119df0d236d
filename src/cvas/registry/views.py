"""Plain pages of the legacy IP-registration portal (the full web interface is another app's):
what the regime in force asks, filing a request, the provider's confirmations, staff decisions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cvas.accounts.choices import OrganisationKind
from cvas.accounts.models import Organisation
from cvas.accounts.principal import Principal
from cvas.core.errors import DomainError, InvalidInput
from cvas.registry import api as registry_api
from cvas.registry import selectors, services
from cvas.registry.choices import PortalDocumentKind, PortalState


@require_http_methods(["GET", "POST"])
def portal_home(request: HttpRequest) -> HttpResponse:
    status = registry_api.portal_status(translated=True)
    p = Principal.from_request(request)
    context: dict[str, Any] = {"status": status, "requests": [], "applicants": [], "isps": []}
    if p.is_authenticated:
        context["requests"] = list(selectors.portal_requests_for(p)[:100])
        context["applicants"] = list(
            Organisation.objects.filter(
                pk__in=p.organisation_ids, kind__in=services.PORTAL_APPLICANT_KINDS
            )
        )
        context["isps"] = list(Organisation.objects.filter(kind=OrganisationKind.NETWORK_OPERATOR))
    if request.method == "POST":
        try:
            applicant = Organisation.objects.get(pk=int(request.POST.get("applicant", "0")))
            isp = Organisation.objects.get(pk=int(request.POST.get("isp", "0")))
            req = services.portal_request_create(
                principal=p,
                applicant=applicant,
                isp=isp,
                responsible_name=request.POST.get("responsible_name", ""),
                responsible_cnic=request.POST.get("responsible_cnic", ""),
                addresses=request.POST.get("addresses", "").split(),
                purpose=request.POST.get("purpose", ""),
            )
        except (Organisation.DoesNotExist, ValueError):
            messages.error(
                request, _("Choose your organisation and its internet service provider.")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("registry:portal_request", pk=req.pk)
    return render(request, "registry/portal_home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def portal_request(request: HttpRequest, pk: int) -> HttpResponse:
    p = Principal.from_request(request)
    try:
        req = selectors.portal_request_get(p, pk)
    except DomainError:
        return render(request, "registry/portal_missing.html", status=404)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "document":
                upload = request.FILES.get("file")
                if upload is None:
                    raise InvalidInput(_("file: choose a PDF"))
                services.portal_document_add(
                    principal=p, request=req, kind=request.POST.get("kind", ""), upload=upload
                )
            elif action == "submit":
                services.portal_request_submit(principal=p, request=req)
            elif action in ("confirmed", "disputed"):
                item = selectors.portal_item_get(p, req.pk, int(request.POST.get("item", "0")))
                services.portal_item_verify(
                    principal=p, item=item, verdict=action, note=request.POST.get("note", "")
                )
            elif action == "decide":
                services.portal_request_decide(
                    principal=p,
                    request=req,
                    approve=[int(x) for x in request.POST.getlist("approve")],
                    reason=request.POST.get("reason", ""),
                )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
        return redirect("registry:portal_request", pk=req.pk)
    data = registry_api.portal_out(req)
    return render(
        request,
        "registry/portal_request.html",
        {
            "req": data,
            "is_applicant": p.is_member(req.applicant_id),
            "is_isp": req.isp_id in p.network_operator_ids,
            "is_staff": p.has_role("licensing_officer", "administrator"),
            "draft": req.state == PortalState.DRAFT,
            "submitted": req.state == PortalState.SUBMITTED,
            "verified": req.state == PortalState.VERIFIED,
            "document_kinds": PortalDocumentKind.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def imports_page(request: HttpRequest) -> HttpResponse:
    """Send a CSV of subscribers or endpoints for one of your licences; the worker runs it."""
    from cvas.licensing.models import Licence
    from cvas.registry.choices import ImportKind
    from cvas.registry.models import ImportRun

    p = Principal.from_request(request)
    licences = Licence.objects.select_related("holder").order_by("pk")
    if not p.is_staff_reader:
        licences = licences.filter(holder_id__in=p.organisation_ids)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise InvalidInput(_("file: choose a CSV file"))
            licence = selectors.licence_for(p, request.POST.get("licence", ""))
            run = services.import_create(
                principal=p,
                licence=licence,
                kind=request.POST.get("kind", ""),
                upload=upload,
                name=upload.name or "",
                replace=request.POST.get("replace") == "on",
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("registry:import_detail", pk=run.pk)
    runs = [
        services.import_check_interrupted(r)
        for r in ImportRun.objects.filter(licence__in=licences).order_by("-created_at")[:50]
    ]
    return render(
        request,
        "registry/imports.html",
        {"licences": licences, "runs": runs, "kinds": ImportKind.choices},
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = Principal.from_request(request)
    try:
        run = selectors.import_get(p, pk)
    except DomainError:
        return render(request, "registry/portal_missing.html", status=404)
    run = services.import_check_interrupted(run)
    return render(request, "registry/import_detail.html", {"run": run})
