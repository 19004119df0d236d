"""Users, organisations, memberships, staff roles and API keys."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from cvas.accounts.choices import ApiScope, MembershipRole, OrganisationKind, StaffRole


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        from django.db import transaction

        from cvas.audit.services import audit_record, snapshot
        from cvas.core.actors import Actor

        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        actor = Actor.os_user()
        with transaction.atomic():
            user = self.create_user(email, password, **extra)
            audit_record(
                actor=actor,
                action="user.create",
                obj=user,
                after=snapshot(user, ["email", "full_name", "is_active", "is_superuser"]),
            )
            # A superuser is the system's administrator: give the role so that role checks see it.
            grant = StaffRoleGrant.objects.create(user=user, role=StaffRole.ADMINISTRATOR)
            audit_record(actor=actor, action="role.grant", obj=grant, after=snapshot(grant))
        return user


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May sign in to the Django admin (unused)."
    )
    is_demo = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified = models.BooleanField(
        default=True,
        help_text="False from a self sign-up until the link sent to the address is opened; "
        "accounts made by staff or commands are trusted.",
    )

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    registration_number = models.CharField(
        max_length=64, blank=True, help_text="SECP incorporation number or NTN."
    )
    address = models.TextField(blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    is_public_record = models.BooleanField(
        default=False, help_text="Named in the regulator's own public announcements."
    )
    is_demo = models.BooleanField(default=False, help_text="Synthetic data from `cvas demo`.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organisation_name_unique_ci"),
            models.CheckConstraint(
                condition=~(models.Q(is_public_record=True) & models.Q(is_demo=True)),
                name="organisation_not_both_public_and_demo",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


class StaffRoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=32, choices=StaffRole.choices)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="staff_role_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.role}"


class ApiKey(models.Model):
    """A key for one organisation (or, without one, for a staff user). Only its hash is kept."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys", null=True, blank=True
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"cvas_{self.prefix}_… ({self.name})"

    def has_scope(self, scope: ApiScope | str) -> bool:
        return str(scope) in self.scopes

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class TotpDevice(models.Model):
    """A staff account's authenticator app (TOTP, RFC 6238). The shared secret is kept only
    encrypted (cvas.core.pii, purpose "accounts.totp"); `last_step` refuses a code used before."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.BinaryField()
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="Set once a first code from the app has been checked."
    )
    last_step = models.BigIntegerField(
        default=0, help_text="The time step of the last code accepted: no code works twice."
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"authenticator of {self.user}"
