"""Public pages: verify a VPN, the register (and its downloads), a licence, the policy timeline,
statistics, and the stable verification page that a certificate's QR code opens."""

from __future__ import annotations

import csv
import json

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from cvas.core.errors import InvalidInput, NotFound
from cvas.core.rate_limit import rate_limited
from cvas.core.timeutil import pk_today
from cvas.licensing import selectors
from cvas.licensing.choices import LicenceStatus
from cvas.licensing.models import Licence
from cvas.public import selectors as public
from cvas.public.charts import SECTIONS, Chart, Series
from cvas.public.labels import label, translated_choices

REGISTER_PAGE_SIZE = 25
SORT_CHOICES = [
    ("holder", gettext_lazy("Holder A–Z")),
    ("-holder", gettext_lazy("Holder Z–A")),
    ("-issued", gettext_lazy("Newest first")),
    ("issued", gettext_lazy("Oldest first")),
    ("expires", gettext_lazy("Expiring soonest")),
    ("number", gettext_lazy("Licence number")),
]


@rate_limited("verify")
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:300]
    result, error = None, None
    if query:
        try:
            result = public.verify_anything(query)
        except InvalidInput:
            error = _(
                "This is not a brand name, a website (like crestvpn.pk) or an IP address "
                "(like 39.32.10.1) that can be checked."
            )
    return render(request, "public/home.html", {"query": query, "result": result, "error": error})


def _register_filters(request: HttpRequest) -> dict[str, str]:
    return {
        "q": request.GET.get("q", "").strip()[:200],
        "status": request.GET.get("status", ""),
        "regime": request.GET.get("regime", "")[:64],
        "sort": request.GET.get("sort", "") or "holder",
    }


@rate_limited("register")
def register(request: HttpRequest) -> HttpResponse:
    f = _register_filters(request)
    try:
        qs = selectors.licence_list(
            q=f["q"] or None, status=f["status"] or None, regime=f["regime"] or None, sort=f["sort"]
        )
        error = None
    except InvalidInput as exc:
        qs, error = Licence.objects.none(), exc.message
    page = Paginator(qs, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "public/register.html",
        {
            "page": page,
            **f,
            "error": error,
            "statuses": translated_choices(LicenceStatus),
            "regimes": selectors.regime_list(),
            "sort_choices": [(v, str(text)) for v, text in SORT_CHOICES],
            "download_query": request.GET.urlencode(),
        },
    )


@rate_limited("register")
def register_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The register as CSV or JSON, with the page's filters; the whole list, not one page."""
    f = _register_filters(request)
    try:
        qs = selectors.licence_list(
            q=f["q"] or None, status=f["status"] or None, regime=f["regime"] or None, sort=f["sort"]
        )
    except InvalidInput as exc:
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message, "details": exc.details}},
            status=422,
        )
    rows = [public.register_row(lic) for lic in qs]
    stamp = pk_today().isoformat()
    if fmt == "json":
        response = HttpResponse(
            json.dumps({"items": rows, "count": len(rows)}, ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="cvas-register-{stamp}.json"'
        return response
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cvas-register-{stamp}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer = csv.DictWriter(response, fieldnames=public.REGISTER_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "brands": "; ".join(row["brands"]), "number": row["number"] or ""})
    return response


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


@rate_limited("register")
def licence_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        licence = selectors.licence_get_by_number(number)
    except NotFound:
        raise Http404("No such licence") from None
    return _detail(request, licence)


@rate_limited("register")
def licence_detail_by_id(request: HttpRequest, pk: int) -> HttpResponse:
    licence = Licence.objects.select_related("holder", "regime").filter(pk=pk).first()
    if licence is None:
        raise Http404("No such licence")
    return _detail(request, licence)


@rate_limited("verify")
def verify_token(request: HttpRequest, token: str) -> HttpResponse:
    """What a certificate's QR code opens: the licence's status today, at an address that never changes."""
    try:
        licence = selectors.licence_get_by_token(token[:64])
    except NotFound:
        return render(request, "public/verify_token.html", {"licence": None}, status=404)
    return render(
        request,
        "public/verify_token.html",
        {
            "licence": licence,
            "brands": licence.brands.prefetch_related("domains"),
            "checked_on": pk_today(),
            "last_event": licence.events.order_by("-at", "-pk").first(),
        },
    )


def policy(request: HttpRequest) -> HttpResponse:
    today = pk_today()
    in_force = selectors.regime_in_force(today)
    return render(
        request,
        "public/policy.html",
        {"regimes": selectors.regime_list(), "in_force": in_force, "today": today},
    )


def _status_over_time() -> Chart:
    days, series = public.licences_by_status_over_time(months=12)
    return Chart(
        slug="licences-over-time",
        title=_("Licences by status, month by month"),
        description=_(
            "Stacked bars, one per month (the last is today): how many licences were active, "
            "suspended, revoked, expired or surrendered at the end of each month."
        ),
        categories=[formats.date_format(d, "M Y") for d in days],
        category_heading=_("Month"),
        series=[
            Series(name=label(LicenceStatus, status), values=values)
            for status, values in series.items()
        ],
    )


def _status_now() -> Chart:
    counts = public.licences_by_status_now()
    return Chart(
        slug="licences-now",
        title=_("Licences by status today"),
        description=_("One bar per status: how many licences on the register have it today."),
        categories=[label(LicenceStatus, s) for s in counts],
        category_heading=_("Status"),
        series=[Series(name=_("Licences"), values=list(counts.values()))],
    )


def statistics(request: HttpRequest) -> HttpResponse:
    charts = [_status_over_time(), _status_now()]
    for section in SECTIONS:
        chart = section()
        if chart is not None:
            charts.append(chart)
    return render(
        request,
        "public/statistics.html",
        {"charts": charts, "total": Licence.objects.count(), "extra_sections": len(SECTIONS)},
    )


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, resolving `next` in the language of its own prefix so that the
    same page is found in the chosen language (/ur/register/ becomes /register/ and back)."""
    target = request.POST.get("next", "")
    current = translation.get_language_from_path(target.split("?")[0]) or settings.LANGUAGE_CODE
    with translation.override(current):
        return set_language(request)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
