"""The public site's app configuration and its navigation links."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from cvas.public.navigation import NavLink


class PublicConfig(AppConfig):
    name = "cvas.public"
    label = "public"
    navigation = (
        NavLink("public", "public:home", _("Verify a VPN"), order=10),
        NavLink("public", "public:register", _("Register of licences"), order=20),
        NavLink("public", "public:policy", _("Policy timeline"), order=30),
        NavLink("public", "public:statistics", _("Statistics"), order=40),
    )
