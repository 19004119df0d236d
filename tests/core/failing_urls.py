"""The project's URLs plus one page that fails, for the error-page tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from cvas.config.urls import urlpatterns as project_urlpatterns


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internal detail: password=hunter2 at /srv/cvas/settings.py")


urlpatterns = [path("boom/", fails), *project_urlpatterns]
handler500 = "cvas.core.error_pages.server_error"
