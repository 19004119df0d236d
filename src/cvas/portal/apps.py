"""The organisation portal's app configuration and its navigation links."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from cvas.public.navigation import NavLink


class PortalConfig(AppConfig):
    name = "cvas.portal"
    label = "portal"
    navigation = (
        NavLink("portal", "portal:home", _("Overview"), order=10),
        NavLink("portal", "portal:applications", _("Applications"), order=20),
        NavLink("portal", "portal:licences", _("Licences"), order=30),
        NavLink("portal", "portal:organisations", _("Organisations"), order=40),
    )
