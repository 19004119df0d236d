"""Pages of the registry app: the legacy IP-registration portal."""

from django.urls import path

from cvas.registry import views

app_name = "registry"
urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/<int:pk>/", views.portal_request, name="portal_request"),
    path("imports/", views.imports_page, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
]
