"""Writes of the portal that need a member's permission on top of the accounts services: a manager
adds, re-roles and removes members, and an organisation always keeps at least one manager."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from cvas.accounts.choices import MembershipRole
from cvas.accounts.models import Membership, Organisation, User
from cvas.accounts.principal import Principal
from cvas.accounts.services import membership_remove, membership_set
from cvas.core.errors import Conflict, Forbidden, InvalidInput


def _require_manager(principal: Principal, organisation: Organisation) -> None:
    principal.require_scope("write")
    principal.require_member(organisation)
    if not principal.is_manager(organisation):
        raise Forbidden(_("Only a manager of the organisation may manage its members."))


@transaction.atomic
def member_add(
    *, principal: Principal, organisation: Organisation, email: str, role: str
) -> Membership:
    _require_manager(principal, organisation)
    if role not in MembershipRole.values:
        raise InvalidInput(
            # Translators: %(role)r is the value given, in quotes.
            _("role: unknown role %(role)r") % {"role": role},
            details=[{"field": "role", "reason": "unknown role"}],
        )
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise InvalidInput(
            _("email: no account for %(email)s; ask them to sign up first")
            % {"email": email.strip()},
            details=[{"field": "email", "reason": "no such account"}],
        )
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise Conflict(
            _("email: %(email)s is already a member") % {"email": user.email},
            code="duplicate",
            details=[{"field": "email", "reason": "already a member"}],
        )
    return membership_set(actor=principal.actor, organisation=organisation, user=user, role=role)


def _other_managers(membership: Membership) -> bool:
    return (
        Membership.objects.select_for_update()
        .filter(organisation_id=membership.organisation_id, role=MembershipRole.MANAGER)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def member_set_role(*, principal: Principal, membership: Membership, role: str) -> Membership:
    _require_manager(principal, membership.organisation)
    if role not in MembershipRole.values:
        raise InvalidInput(
            # Translators: %(role)r is the value given, in quotes.
            _("role: unknown role %(role)r") % {"role": role},
            details=[{"field": "role", "reason": "unknown role"}],
        )
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    demoted = locked.role == MembershipRole.MANAGER and role != MembershipRole.MANAGER
    if demoted and not _other_managers(locked):
        raise Conflict(
            _("role: the organisation must keep at least one manager"),
            code="last_manager",
            details=[{"field": "role", "reason": "last manager"}],
        )
    return membership_set(
        actor=principal.actor, organisation=locked.organisation, user=locked.user, role=role
    )


@transaction.atomic
def member_remove(*, principal: Principal, membership: Membership) -> None:
    _require_manager(principal, membership.organisation)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == MembershipRole.MANAGER and not _other_managers(locked):
        raise Conflict(
            _(
                "The organisation must keep at least one manager; make someone else a manager "
                "first."
            ),
            code="last_manager",
        )
    membership_remove(actor=principal.actor, membership=locked)
