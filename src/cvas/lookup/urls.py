"""RDAP under /rdap/ (outside the language prefixes: its addresses never change)."""

from django.urls import path

from cvas.lookup import rdap

app_name = "rdap"
urlpatterns = [
    path("ip/<path:query>", rdap.ip, name="ip"),
    path("entity/<str:handle>", rdap.entity, name="entity"),
    path("help", rdap.help_, name="help"),
    path("<path:rest>", rdap.unsupported, name="unsupported"),
]
