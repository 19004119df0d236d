"""Public pages: home with verify, the register, a licence."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cvas.core.errors import InvalidInput, NotFound
from cvas.licensing import selectors
from cvas.licensing.choices import LicenceStatus
from cvas.licensing.models import Licence


def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:300]
    result, error = None, None
    if query:
        try:
            looks_like_domain = "." in query and " " not in query
            result = (
                selectors.verify_domain(query)
                if looks_like_domain
                else selectors.verify_brand(query)
            )
            if looks_like_domain and result.licence is None:
                brand_result = selectors.verify_brand(query)
                if brand_result.licence is not None:
                    result = brand_result
        except InvalidInput as exc:
            error = exc.message
    return render(request, "public/home.html", {"query": query, "result": result, "error": error})


def register(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    regime = request.GET.get("regime", "")
    sort = request.GET.get("sort", "holder")
    try:
        qs = selectors.licence_list(
            q=q or None, status=status or None, regime=regime or None, sort=sort or None
        )
        error = None
    except InvalidInput as exc:
        qs, error = Licence.objects.none(), exc.message
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "public/register.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "regime": regime,
            "sort": sort,
            "error": error,
            "statuses": LicenceStatus.choices,
            "regimes": selectors.regime_list(),
        },
    )


def _detail(request: HttpRequest, licence: Licence) -> HttpResponse:
    return render(
        request,
        "public/licence.html",
        {
            "licence": licence,
            "brands": licence.brands.prefetch_related("domains"),
            "events": licence.events.all(),
        },
    )


def licence_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        licence = selectors.licence_get_by_number(number)
    except NotFound:
        raise Http404("No such licence") from None
    return _detail(request, licence)


def licence_detail_by_id(request: HttpRequest, pk: int) -> HttpResponse:
    licence = Licence.objects.select_related("holder", "regime").filter(pk=pk).first()
    if licence is None:
        raise Http404("No such licence")
    return _detail(request, licence)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
