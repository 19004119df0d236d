"""Who is asking, and what they may do: one object for sessions, API keys and commands."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cvas.accounts.choices import ApiScope, MembershipRole, OrganisationKind, StaffRole
from cvas.accounts.models import ApiKey, Membership, Organisation, StaffRoleGrant, User
from cvas.core.actors import Actor
from cvas.core.errors import Forbidden, NotFound, Unauthenticated

# Staff roles that may read every organisation's records.
READ_ALL_ROLES = frozenset(
    {
        StaffRole.LICENSING_OFFICER,
        StaffRole.COMPLIANCE_OFFICER,
        StaffRole.ADMINISTRATOR,
        StaffRole.AUDITOR,
    }
)


@dataclass(frozen=True)
class Principal:
    user: User | None
    api_key: ApiKey | None = None
    staff_roles: frozenset[str] = frozenset()
    # organisation id -> membership role
    memberships: dict[int, str] = field(default_factory=dict)
    network_operator_ids: frozenset[int] = frozenset()
    # None for a session (no scope limit); the key's scopes otherwise.
    scopes: frozenset[str] | None = None
    # A command run from the server's shell: no account, every staff role, recorded by OS user name.
    operator: Actor | None = None
    via: str = "web"
    # A session of an account with staff roles that has not passed the second factor yet: it acts
    # without those roles until it has (cvas.accounts.totp).
    second_factor_pending: bool = False

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(user=None)

    @classmethod
    def for_user(cls, user: User | AnonymousUser | None) -> Principal:
        if user is None or not user.is_authenticated or not user.is_active:
            return cls.anonymous()
        assert isinstance(user, User)
        roles = frozenset(StaffRoleGrant.objects.filter(user=user).values_list("role", flat=True))
        rows = list(
            Membership.objects.filter(user=user).values_list(
                "organisation_id", "role", "organisation__kind"
            )
        )
        return cls(
            user=user,
            staff_roles=roles,
            memberships={org: role for org, role, _ in rows},
            network_operator_ids=frozenset(
                org for org, _, kind in rows if kind == OrganisationKind.NETWORK_OPERATOR
            ),
        )

    @classmethod
    def for_api_key(cls, key: ApiKey) -> Principal:
        """A key acts for its organisation only; a key without one carries its owner's staff roles."""
        user = key.created_by
        if key.organisation_id is None:
            roles = frozenset(
                StaffRoleGrant.objects.filter(user=user).values_list("role", flat=True)
            )
            return cls(user=user, api_key=key, staff_roles=roles, scopes=frozenset(key.scopes))
        org = key.organisation
        assert org is not None
        role = (
            Membership.objects.filter(user=user, organisation=org)
            .values_list("role", flat=True)
            .first()
        )
        if role is None:
            if not StaffRoleGrant.objects.filter(user=user, role=StaffRole.ADMINISTRATOR).exists():
                raise Unauthenticated(
                    _("This API key's creator no longer belongs to its organisation.")
                )
            role = MembershipRole.MEMBER
        return cls(
            user=user,
            api_key=key,
            memberships={org.pk: role},
            network_operator_ids=frozenset({org.pk})
            if org.kind == OrganisationKind.NETWORK_OPERATOR
            else frozenset(),
            scopes=frozenset(key.scopes),
        )

    @classmethod
    def from_request(cls, request: HttpRequest) -> Principal:
        cached = getattr(request, "_cvas_principal", None)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        principal = cls.for_user(getattr(request, "user", None))
        if principal.staff_roles and principal.user is not None:
            from cvas.accounts.totp import passed

            if not passed(request, principal.user):
                principal = dataclasses.replace(
                    principal, staff_roles=frozenset(), second_factor_pending=True
                )
        request._cvas_principal = principal  # type: ignore[attr-defined]
        return principal

    # -- questions -------------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return self.user is not None or self.operator is not None

    def has_role(self, *roles: str) -> bool:
        return any(role in self.staff_roles for role in roles)

    @property
    def is_staff_reader(self) -> bool:
        return bool(self.staff_roles & READ_ALL_ROLES)

    @property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(self.memberships)

    def is_member(self, organisation: Organisation | int) -> bool:
        org_id = organisation if isinstance(organisation, int) else organisation.pk
        return org_id in self.memberships

    def is_manager(self, organisation: Organisation | int) -> bool:
        org_id = organisation if isinstance(organisation, int) else organisation.pk
        return self.memberships.get(org_id) == MembershipRole.MANAGER

    def has_scope(self, scope: ApiScope | str) -> bool:
        return self.scopes is None or str(scope) in self.scopes

    @property
    def actor(self) -> Actor:
        if self.operator is not None:
            return self.operator
        if self.user is None:
            return Actor(label="anonymous", via="web")
        via = "api" if self.api_key is not None else self.via
        return Actor.for_user(self.user, via=via, api_key=self.api_key)

    # -- guards (raise the domain errors that become 401/403/404) ------------------------------
    def require_authenticated(self) -> None:
        if not self.is_authenticated:
            raise Unauthenticated(_("Sign in or send 'Authorization: Bearer <api key>'."))

    def require_scope(self, scope: ApiScope | str) -> None:
        self.require_authenticated()
        if not self.has_scope(scope):
            raise Forbidden(
                # Translators: %(scope)s is a scope's code: read, write...
                _("This API key lacks the '%(scope)s' scope.") % {"scope": scope},
                code="insufficient_scope",
            )

    def require_role(self, *roles: str) -> None:
        self.require_authenticated()
        if not self.has_role(*roles):
            names = ", ".join(roles)
            if self.second_factor_pending:
                raise Forbidden(
                    # Translators: %(roles)s is a list of role codes, e.g. licensing_officer.
                    _(
                        "This needs one of the roles: %(roles)s. Your regulator role acts only "
                        "after the second factor: enter your authenticator's code at "
                        "/accounts/two-factor/."
                    )
                    % {"roles": names},
                    code="second_factor_required",
                )
            raise Forbidden(_("This needs one of the roles: %(roles)s.") % {"roles": names})

    def require_member(self, organisation: Organisation | int) -> None:
        """Members only; anyone else is told the organisation's record does not exist, except
        regulator staff, who can read it and so are told plainly that they may not change it."""
        self.require_authenticated()
        if not self.is_member(organisation):
            if self.is_staff_reader:
                raise Forbidden(_("Only a member of the organisation may do this."))
            raise NotFound(_("Not found."))

    def require_can_read_organisation(self, organisation: Organisation | int) -> None:
        self.require_authenticated()
        if not (self.is_member(organisation) or self.is_staff_reader):
            raise NotFound(_("Not found."))
