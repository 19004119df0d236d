"""Root URLs: the pages (English unprefixed, Urdu under /ur/), the stable certificate address
/v/<token>/, the language switcher, and the API under /api/v1/."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from cvas.compliance import urls as compliance_urls
from cvas.config.api import api
from cvas.public import views as public_views

urlpatterns = [
    path("api/v1/", api.urls),
    # Printed on certificates as a QR code: never under a language prefix, never renamed.
    path("v/<str:token>/", public_views.verify_token, name="verify_token"),
    path("i18n/setlang/", public_views.switch_language, name="set_language"),
    path("healthz", public_views.healthz, name="healthz"),
    path("rdap/", include("cvas.lookup.urls")),
    *i18n_patterns(
        path("accounts/", include("cvas.accounts.urls")),
        path("portal/returns/", include(compliance_urls.portal)),
        path("staff/compliance/", include(compliance_urls.staff)),
        path("portal/", include("cvas.portal.urls")),
        path("staff/", include("cvas.backoffice.urls")),
        path("registry/", include("cvas.registry.urls")),
        path("", include("cvas.public.urls")),
        prefix_default_language=False,
    ),
]

# A generic page (or the API's JSON error) for a failure; 503 when the database is unavailable.
handler500 = "cvas.core.error_pages.server_error"
