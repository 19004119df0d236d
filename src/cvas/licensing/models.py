"""Regimes, brands, applications and licences."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from cvas.accounts.models import Organisation
from cvas.licensing.choices import (
    ApplicationState,
    DocumentKind,
    LicenceAction,
    LicenceStatus,
    ReturnPeriod,
)


class Regime(models.Model):
    """A version of the policy, in force over a period of Pakistan dates (inclusive)."""

    code = models.SlugField(max_length=64, unique=True)
    name_en = models.CharField(max_length=200)
    name_ur = models.CharField(max_length=200, blank=True)
    summary_en = models.TextField(blank=True)
    summary_ur = models.TextField(blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(
        null=True, blank=True, help_text="Last day in force; empty while in force."
    )
    licensing_open = models.BooleanField(
        default=True,
        help_text="Whether class licences for VPN providers are granted under this regime.",
    )
    permitted_categories = models.JSONField(
        default=list, blank=True, help_text="Subscriber categories licensees may serve."
    )
    end_user_registration_required = models.BooleanField(
        default=False,
        help_text="End users must register their IP addresses or mobile numbers themselves.",
    )
    licence_validity_years = models.PositiveSmallIntegerField(default=15)
    return_period = models.CharField(
        max_length=16, choices=ReturnPeriod.choices, default=ReturnPeriod.QUARTERLY
    )
    return_deadline_days = models.PositiveSmallIntegerField(default=30)
    fees = models.JSONField(default=dict, blank=True)
    conditions_en = models.TextField(blank=True)
    conditions_ur = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True, help_text="Where each fact comes from.")
    assumptions = models.JSONField(
        default=list,
        blank=True,
        help_text="Names of the fields whose values are assumptions, not published facts.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="regime_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(licence_validity_years__gte=1), name="regime_validity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    def permits(self, category: str) -> bool:
        return category in self.permitted_categories

    def is_assumption(self, field: str) -> bool:
        return field in self.assumptions


class LicenceNumberSequence(models.Model):
    """The last number handed out in a year; its row lock makes numbers unique and never reused."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


def _verification_token() -> str:
    return secrets.token_urlsafe(18)


class Licence(models.Model):
    number = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="Empty while the number is not published.",
    )
    number_slug = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="licences")
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="licences")
    application = models.OneToOneField(
        "Application", on_delete=models.PROTECT, null=True, blank=True, related_name="licence"
    )
    status = models.CharField(
        max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.ACTIVE
    )
    issued_on = models.DateField()
    expires_on = models.DateField()
    conditions_en = models.TextField(blank=True)
    conditions_ur = models.TextField(blank=True)
    is_public_record = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False)
    public_record_note = models.CharField(max_length=300, blank=True)
    verification_token = models.CharField(
        max_length=32, unique=True, default=_verification_token, editable=False
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["issued_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("issued_on")),
                name="licence_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=~(models.Q(is_public_record=True) & models.Q(is_demo=True)),
                name="licence_not_both_public_and_demo",
            ),
            models.CheckConstraint(
                condition=models.Q(number__isnull=True) | models.Q(number_slug__isnull=False),
                name="licence_number_has_slug",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="licence_status_idx")]

    def __str__(self) -> str:
        return self.number or f"Licence of {self.holder.name} (number not published)"

    @property
    def display_number(self) -> str:
        return self.number or "not published"


class Brand(models.Model):
    """A name under which a provider sells a VPN; belongs to one licence at a time."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="brands")
    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, null=True, blank=True, related_name="brands"
    )
    name = models.CharField(max_length=120)
    name_key = models.CharField(max_length=120, unique=True, editable=False)
    app_identifiers = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BrandDomain(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class Application(models.Model):
    reference = models.CharField(max_length=32, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=32, choices=ApplicationState.choices, default=ApplicationState.DRAFT
    )
    regime = models.ForeignKey(
        Regime, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    service_description = models.TextField(blank=True)
    brands = models.JSONField(
        default=list, blank=True, help_text='[{"name": ..., "websites": [...]}]'
    )
    gateway_prefixes = models.JSONField(default=list, blank=True)
    declarations = models.JSONField(default=dict, blank=True)
    fee_payment_reference = models.CharField(max_length=64, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "submitted_at"], name="application_queue_idx")]

    def __str__(self) -> str:
        return self.reference


class ApplicationTransition(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="transitions"
    )
    from_state = models.CharField(max_length=32, choices=ApplicationState.choices, blank=True)
    to_state = models.CharField(max_length=32, choices=ApplicationState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=255)
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.application}: {self.from_state or '-'} → {self.to_state}"


def _document_path(instance: ApplicationDocument, filename: str) -> str:
    # Never the uploader's file name: a random name in a per-application folder.
    return f"applications/{instance.application_id}/{uuid.uuid4().hex}.pdf"


class ApplicationDocument(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    file = models.FileField(upload_to=_document_path, max_length=255)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class LicenceEvent(models.Model):
    """The licence's status history: each action with its reason and effective date."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=LicenceAction.choices)
    from_status = models.CharField(max_length=16, choices=LicenceStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=LicenceStatus.choices)
    effective_on = models.DateField()
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=255)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.licence}: {self.action} on {self.effective_on}"
