"""Who is acting: a signed-in user, an API key, or a command run from a shell."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cvas.accounts.models import ApiKey, User


@dataclass(frozen=True)
class Actor:
    """The actor recorded in the audit trail. `user` is None for the system and shell users."""

    label: str
    user: User | None = None
    api_key: ApiKey | None = None
    via: str = "web"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_user(cls, user: User, *, via: str = "web", api_key: ApiKey | None = None) -> Actor:
        label = user.email
        if api_key is not None:
            label = f"{user.email} (api key {api_key.prefix})"
        return cls(label=label, user=user, api_key=api_key, via=via)

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(label=what, via="system")

    @classmethod
    def os_user(cls) -> Actor:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return cls(label=f"os:{name}", via="command")
