"""Writes for accounts: organisations, memberships, roles and API keys."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cvas.accounts import keys
from cvas.accounts.choices import (
    ORGANISATION_ROLES,
    ApiScope,
    MembershipRole,
    OrganisationKind,
    StaffRole,
)
from cvas.accounts.models import ApiKey, Membership, Organisation, StaffRoleGrant, User
from cvas.accounts.principal import Principal
from cvas.audit.services import audit_record, snapshot
from cvas.core.actors import Actor
from cvas.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated

API_KEY_MAX_DAYS = 730
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def _organisation_exists(name: str) -> str:
    # Translators: %(name)s is the organisation's name, in quotes.
    return _("An organisation named %(name)s already exists.") % {"name": repr(name)}


@transaction.atomic
def organisation_create(
    *,
    actor: Actor,
    name: str,
    kind: str,
    registration_number: str = "",
    address: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    creator: User | None = None,
    is_public_record: bool = False,
    is_demo: bool = False,
) -> Organisation:
    """Create an organisation; its creator (if any) becomes its first manager."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(
            _("Organisation name is required."), details=[{"field": "name", "reason": "required"}]
        )
    if kind not in OrganisationKind.values:
        raise InvalidInput(
            _("Unknown organisation kind %(kind)s.") % {"kind": repr(kind)},
            details=[{"field": "kind", "reason": f"one of {', '.join(OrganisationKind.values)}"}],
        )
    if Organisation.objects.filter(name__iexact=name).exists():
        raise Conflict(_organisation_exists(name), code="duplicate")
    org = Organisation(
        name=name,
        kind=kind,
        registration_number=registration_number.strip(),
        address=address.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip(),
        is_public_record=is_public_record,
        is_demo=is_demo,
    )
    org.full_clean()
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError as exc:
        raise Conflict(_organisation_exists(name), code="duplicate") from exc
    audit_record(actor=actor, action="organisation.create", obj=org, after=snapshot(org))
    if creator is not None:
        membership_set(actor=actor, organisation=org, user=creator, role=MembershipRole.MANAGER)
    return org


@transaction.atomic
def membership_set(
    *, actor: Actor, organisation: Organisation, user: User, role: str
) -> Membership:
    if role not in MembershipRole.values:
        raise InvalidInput(_("Unknown membership role %(role)s.") % {"role": repr(role)})
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if not created and membership.role == role:
        return membership
    before = None if created else snapshot(membership)
    membership.role = role
    membership.save()
    audit_record(
        actor=actor,
        action="membership.create" if created else "membership.update",
        obj=membership,
        before=before,
        after=snapshot(membership),
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: Actor, membership: Membership) -> None:
    before = snapshot(membership)
    pk = membership.pk
    membership.delete()
    audit_record(
        actor=actor,
        action="membership.delete",
        obj="accounts.membership",
        object_id=pk,
        before=before,
    )


@transaction.atomic
def role_grant(
    *, actor: Actor, user: User, role: str, organisation: Organisation | None = None
) -> str:
    """Grant a staff role, or (with an organisation) an organisation role. Idempotent."""
    if role in StaffRole.values:
        if organisation is not None:
            raise InvalidInput(
                # Translators: %(role)s is a role's code, e.g. licensing_officer.
                _("%(role)s is a regulator role; it takes no organisation.") % {"role": role}
            )
        grant, created = StaffRoleGrant.objects.get_or_create(user=user, role=role)
        if created:
            audit_record(actor=actor, action="role.grant", obj=grant, after=snapshot(grant))
        return "granted" if created else "already held"
    if role in ORGANISATION_ROLES:
        if organisation is None:
            raise InvalidInput(
                # Translators: "--organisation NAME" is an option of the grant-role command.
                _("%(role)s needs --organisation NAME.") % {"role": role}
            )
        if role == "network_operator" and organisation.kind != OrganisationKind.NETWORK_OPERATOR:
            raise InvalidInput(
                _("%(name)s is not a network operator (its kind is %(kind)s).")
                % {"name": organisation.name, "kind": organisation.get_kind_display()}
            )
        existing = Membership.objects.filter(user=user, organisation=organisation).first()
        wanted = ORGANISATION_ROLES[role]
        if existing is not None and existing.role == wanted:
            return "already held"
        membership_set(actor=actor, organisation=organisation, user=user, role=wanted)
        return "granted"
    allowed = ", ".join([*StaffRole.values, *ORGANISATION_ROLES])
    raise InvalidInput(
        _("Unknown role %(role)s; one of: %(allowed)s.") % {"role": repr(role), "allowed": allowed}
    )


@transaction.atomic
def role_revoke(*, actor: Actor, user: User, role: str) -> bool:
    grant = StaffRoleGrant.objects.filter(user=user, role=role).first()
    if grant is None:
        return False
    before = snapshot(grant)
    pk = grant.pk
    grant.delete()
    audit_record(
        actor=actor,
        action="role.revoke",
        obj="accounts.staffrolegrant",
        object_id=pk,
        before=before,
    )
    return True


def user_create(
    *, actor: Actor, email: str, password: str | None, full_name: str = "", is_demo: bool = False
) -> User:
    with transaction.atomic():
        if User.objects.filter(email__iexact=email.strip()).exists():
            raise Conflict(
                _("An account for %(email)s already exists.") % {"email": email}, code="duplicate"
            )
        user = User.objects.create_user(
            email=email.strip(), password=password, full_name=full_name, is_demo=is_demo
        )
        audit_record(
            actor=actor,
            action="user.create",
            obj=user,
            after=snapshot(user, ["email", "full_name", "is_active", "is_demo"]),
        )
    return user


# -- API keys ---------------------------------------------------------------------------------


def _check_scopes(scopes: list[str]) -> list[str]:
    if not scopes:
        raise InvalidInput(
            _("Choose at least one scope."), details=[{"field": "scopes", "reason": "required"}]
        )
    unknown = [s for s in scopes if s not in ApiScope.values]
    if unknown:
        raise InvalidInput(
            # Translators: %(unknown)s and %(allowed)s are lists of scope codes (read, write...).
            _("Unknown scope(s): %(unknown)s; one of %(allowed)s.")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(ApiScope.values)},
            details=[{"field": "scopes", "reason": f"unknown: {', '.join(unknown)}"}],
        )
    return sorted(set(scopes))


@transaction.atomic
def api_key_create(
    *,
    principal: Principal,
    name: str,
    scopes: list[str],
    expires_at: dt.datetime,
    organisation: Organisation | None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its only clear-text copy, to be shown once."""
    principal.require_authenticated()
    assert principal.user is not None
    if organisation is None:
        if not principal.staff_roles:
            raise InvalidInput(
                _("Name the organisation this key is for."),
                details=[{"field": "organisation", "reason": "required"}],
            )
    elif not (principal.is_member(organisation) or principal.has_role(StaffRole.ADMINISTRATOR)):
        raise NotFound(_("Not found."))
    if principal.api_key is not None:
        raise Forbidden(_("API keys are created from a signed-in session, not with another key."))
    now = timezone.now()
    if expires_at <= now:
        raise InvalidInput(
            _("The expiry must be in the future."),
            details=[{"field": "expires_at", "reason": "in the past"}],
        )
    if expires_at > now + dt.timedelta(days=API_KEY_MAX_DAYS):
        raise InvalidInput(
            _("A key may last at most %(days)s days.") % {"days": API_KEY_MAX_DAYS},
            details=[{"field": "expires_at", "reason": f"more than {API_KEY_MAX_DAYS} days ahead"}],
        )
    name = name.strip()
    if not name:
        raise InvalidInput(
            _("Give the key a name."), details=[{"field": "name", "reason": "required"}]
        )
    token, prefix = keys.generate()
    key = ApiKey.objects.create(
        organisation=organisation,
        created_by=principal.user,
        name=name[:100],
        prefix=prefix,
        secret_hash=keys.digest(token),
        scopes=_check_scopes(scopes),
        expires_at=expires_at,
    )
    audit_record(actor=principal.actor, action="api_key.create", obj=key, after=snapshot(key))
    return key, token


@transaction.atomic
def api_key_revoke(*, principal: Principal, key: ApiKey) -> ApiKey:
    locked = ApiKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is not None:
        return locked
    before = snapshot(locked)
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        actor=principal.actor,
        action="api_key.revoke",
        obj=locked,
        before=before,
        after=snapshot(locked),
    )
    return locked


def api_key_authenticate(token: str) -> ApiKey:
    """The key behind a bearer token, or Unauthenticated saying why not."""
    prefix = keys.parse(token.strip())
    if prefix is None:
        raise Unauthenticated(_("Malformed API key."), code="invalid_api_key")
    key = ApiKey.objects.select_related("organisation", "created_by").filter(prefix=prefix).first()
    if key is None or not secrets.compare_digest(key.secret_hash, keys.digest(token.strip())):
        raise Unauthenticated(_("Unknown API key."), code="invalid_api_key")
    now = timezone.now()
    if key.revoked_at is not None:
        raise Unauthenticated(_("This API key has been revoked."), code="revoked_api_key")
    if key.expires_at <= now:
        raise Unauthenticated(_("This API key has expired."), code="expired_api_key")
    if not key.created_by.is_active:
        raise Unauthenticated(_("This API key's owner is deactivated."), code="invalid_api_key")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # Recorded to the minute: a write per request would cost more than the lookup it serves.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
