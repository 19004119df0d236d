"""The site's navigation, built from the installed apps: each AppConfig may list `navigation` links.

An app adds its pages to the menus with one line in its apps.py, for example
`navigation = (NavLink("staff", "compliance:dashboard", _("Compliance"), order=30),)`.
Areas: "public" (everyone), "portal" (signed-in organisation members), "staff" (regulator staff;
`roles` narrows it to some staff roles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cvas.accounts.principal import Principal

AREAS = ("public", "portal", "staff")


@dataclass(frozen=True)
class NavLink:
    area: str
    url_name: str
    label: Any  # a lazy translation
    order: int = 50
    roles: tuple[str, ...] = ()

    def visible_to(self, principal: Principal) -> bool:
        if self.area == "public":
            return True
        if self.area == "portal":
            return principal.user is not None
        if not principal.is_staff_reader:
            return False
        return not self.roles or principal.has_role(*self.roles)


def navigation_links(area: str) -> list[NavLink]:
    """Every installed app's links for one area, in order."""
    from django.apps import apps

    links = [
        link
        for config in apps.get_app_configs()
        for link in getattr(config, "navigation", ())
        if link.area == area
    ]
    return sorted(links, key=lambda link: (link.order, link.url_name))
