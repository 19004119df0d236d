"""Root URLs: the public site, sign-in, and the API under /api/v1/."""

from django.urls import include, path

from cvas.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("accounts/", include("cvas.accounts.urls")),
    path("", include("cvas.public.urls")),
]
