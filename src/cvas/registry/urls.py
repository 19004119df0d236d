"""Pages of the registry app: the legacy IP-registration portal."""

from django.urls import path

from cvas.registry import views

app_name = "registry"
urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/<int:pk>/", views.portal_request, name="portal_request"),
]
