"""The back-office's app configuration and its navigation links."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from cvas.accounts.choices import StaffRole
from cvas.public.navigation import NavLink


class BackofficeConfig(AppConfig):
    name = "cvas.backoffice"
    label = "backoffice"
    navigation = (
        NavLink("staff", "staff:queue", _("Review queue"), order=10),
        NavLink("staff", "staff:licences", _("Licences"), order=20),
        NavLink("staff", "staff:audit", _("Audit trail"), order=80),
        NavLink(
            "staff",
            "staff:regimes",
            _("Regimes and fees"),
            order=90,
            roles=(StaffRole.ADMINISTRATOR, StaffRole.AUDITOR, StaffRole.LICENSING_OFFICER),
        ),
        NavLink(
            "staff", "staff:users", _("Users and roles"), order=95, roles=(StaffRole.ADMINISTRATOR,)
        ),
    )
