"""Subscribers, endpoint registrations (prefixes and mobile numbers), portal requests and imports.

Personal data (CNIC and NTN numbers, mobile numbers, individuals' names) is kept only as
ciphertext (`*_encrypted`, see cvas.core.pii) beside a keyed hash (`*_hmac`) for exact lookups.
A prefix is kept as its canonical text (`network`) and as fixed-width bytes (`range_start`,
`range_end`: 4 bytes for IPv4, 16 for IPv6, which sort as the addresses do), so containment and
overlap are index range scans on both databases; PostgreSQL also holds a GiST exclusion
constraint on `network::cidr` (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cvas.accounts.models import Organisation
from cvas.licensing.choices import SubscriberCategory
from cvas.licensing.models import Licence, Regime
from cvas.registry.choices import (
    EndpointKind,
    EndpointSource,
    EndpointStatus,
    HolderType,
    IdentityKind,
    ImportKind,
    ImportStatus,
    IspVerdict,
    PortalDocumentKind,
    PortalState,
    SubscriberStatus,
)


class ImportRun(models.Model):
    """One bulk import of a CSV file: what was asked, what it found, what it changed."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="imports")
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    replace = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    file = models.FileField(upload_to="imports/", max_length=255, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(default=0)
    rows = models.BigIntegerField(default=0)
    created = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    ended = models.BigIntegerField(default=0)
    unchanged = models.BigIntegerField(default=0)
    error_count = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first 1,000 bad rows.")
    message = models.TextField(blank=True)
    same_as = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    job_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=255)
    via = models.CharField(max_length=16, default="web")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who runs it, so that a run whose process died is not shown as running (cvas.registry.liveness).
    host = models.CharField(max_length=255, blank=True, help_text="The machine running it.")
    pid = models.PositiveIntegerField(null=True, blank=True, help_text="Its process id there.")
    process_start = models.CharField(
        max_length=128,
        blank=True,
        help_text="Boot id, process-id namespace and start time of that process (Linux).",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["licence", "kind", "sha256"], name="import_file_idx")]

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.kind}, {self.status})"

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.ended


class Subscriber(models.Model):
    """A licensee's customer. `ref` is the licensee's own key for it."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="subscribers")
    ref = models.CharField(max_length=64)
    subscriber_type = models.CharField(max_length=16, choices=HolderType.choices)
    category = models.CharField(max_length=32, choices=SubscriberCategory.choices)
    name = models.CharField(
        max_length=200, blank=True, help_text="Organisations' names only; empty for individuals."
    )
    name_encrypted = models.BinaryField(null=True, blank=True)
    name_hmac = models.BinaryField(max_length=32, null=True, blank=True)
    identity_kind = models.CharField(max_length=8, choices=IdentityKind.choices)
    identity_encrypted = models.BinaryField()
    identity_hmac = models.BinaryField(max_length=32)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=SubscriberStatus.choices, default=SubscriberStatus.ACTIVE
    )
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="+")
    content_hash = models.BinaryField(max_length=32)
    last_import = models.ForeignKey(
        ImportRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["licence", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["licence", "ref"], name="subscriber_ref_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(subscriber_type="individual", name="", name_encrypted__isnull=False)
                    | (models.Q(subscriber_type="organisation") & ~models.Q(name=""))
                ),
                name="subscriber_name_by_type",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="subscriber_period_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["identity_hmac"], name="subscriber_identity_idx"),
            models.Index(fields=["name_hmac"], name="subscriber_name_idx"),
            models.Index(fields=["licence", "status"], name="subscriber_status_idx"),
        ]

    def __str__(self) -> str:
        return f"subscriber {self.ref}"


class EndpointRegistration(models.Model):
    """An IP prefix or a mobile number held by an organisation or a subscriber."""

    handle = models.CharField(max_length=24, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=EndpointKind.choices)
    source = models.CharField(max_length=16, choices=EndpointSource.choices)
    licence = models.ForeignKey(
        Licence,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="endpoints",
        help_text="The licence that reported it; empty for a registration through the portal.",
    )
    registrant = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="endpoint_registrations",
        help_text="The organisation that registered it (the licensee, or the portal applicant).",
    )
    # NULL, not "": a portal registration has no ref, and NULLs never collide in the unique constraint.
    ref = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    holder_type = models.CharField(max_length=16, choices=HolderType.choices)
    holder_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    holder_name = models.CharField(
        max_length=200, blank=True, help_text="Organisations' names only; empty for individuals."
    )
    holder_name_encrypted = models.BinaryField(null=True, blank=True)
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, null=True, blank=True, related_name="endpoints"
    )
    network = models.CharField(max_length=49, null=True, blank=True)  # noqa: DJ001 - NULL for a mobile number
    ip_version = models.PositiveSmallIntegerField(null=True, blank=True)
    prefix_len = models.PositiveSmallIntegerField(null=True, blank=True)
    range_start = models.BinaryField(max_length=16, null=True, blank=True)
    range_end = models.BinaryField(max_length=16, null=True, blank=True)
    msisdn_encrypted = models.BinaryField(null=True, blank=True)
    msisdn_hmac = models.BinaryField(max_length=32, null=True, blank=True)
    delegated_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delegations",
        db_index=False,
    )
    family = models.CharField(
        max_length=24,
        help_text="The handle of the root of its delegation tree: overlaps are allowed only within one.",
    )
    status = models.CharField(max_length=16, choices=EndpointStatus.choices)
    status_changed_at = models.DateTimeField(default=timezone.now)
    content_hash = models.BinaryField(max_length=32)
    last_import = models.ForeignKey(
        ImportRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_by_label = models.CharField(max_length=255, blank=True)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "ref"],
                condition=models.Q(ref__isnull=False),
                name="endpoint_ref_unique",
            ),
            models.UniqueConstraint(
                fields=["msisdn_hmac"],
                condition=models.Q(status="active", kind="msisdn"),
                name="endpoint_active_msisdn_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="prefix",
                        network__isnull=False,
                        ip_version__in=[4, 6],
                        range_start__isnull=False,
                        range_end__isnull=False,
                        msisdn_hmac__isnull=True,
                    )
                    | models.Q(
                        kind="msisdn",
                        network__isnull=True,
                        msisdn_hmac__isnull=False,
                        msisdn_encrypted__isnull=False,
                    )
                ),
                name="endpoint_prefix_or_msisdn",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(holder_type="individual", holder_name="")
                    | models.Q(holder_type="organisation")
                ),
                name="endpoint_individual_name_not_in_clear",
            ),
            models.CheckConstraint(
                condition=models.Q(source="portal") | models.Q(licence__isnull=False),
                name="endpoint_licensee_has_licence",
            ),
        ]
        indexes = [
            models.Index(
                fields=["ip_version", "range_start"],
                condition=models.Q(status="active"),
                name="endpoint_active_range_idx",
            ),
            models.Index(fields=["msisdn_hmac"], name="endpoint_msisdn_idx"),
            models.Index(fields=["licence", "status"], name="endpoint_licence_status_idx"),
            models.Index(fields=["family"], name="endpoint_family_idx"),
        ]

    def __str__(self) -> str:
        return self.handle


class EndpointEvent(models.Model):
    """A registration's status history after its creation (its first status is on the row)."""

    registration = models.ForeignKey(
        EndpointRegistration, on_delete=models.PROTECT, related_name="events"
    )
    from_status = models.CharField(max_length=16, choices=EndpointStatus.choices)
    to_status = models.CharField(max_length=16, choices=EndpointStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    actor_label = models.CharField(max_length=255)
    reason = models.TextField(blank=True)
    import_run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.from_status} → {self.to_status}"


class PortalRequest(models.Model):
    """A holder's request, through the legacy IP-registration portal, to register its addresses."""

    reference = models.CharField(max_length=32, unique=True, editable=False)
    applicant = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="portal_requests"
    )
    isp = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="portal_requests_to_verify",
        help_text="The applicant's internet service provider (a network operator).",
    )
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=PortalState.choices, default=PortalState.DRAFT)
    purpose = models.TextField(blank=True)
    responsible_name_encrypted = models.BinaryField()
    responsible_cnic_encrypted = models.BinaryField()
    responsible_cnic_hmac = models.BinaryField(max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_on = models.DateField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_label = models.CharField(max_length=255, blank=True)
    decision_reason = models.TextField(blank=True)
    fee = models.JSONField(default=dict, blank=True)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["isp", "state"], name="portal_isp_queue_idx")]

    def __str__(self) -> str:
        return self.reference


class PortalItem(models.Model):
    """One address, prefix or mobile number in a request; its registration waits as pending."""

    request = models.ForeignKey(PortalRequest, on_delete=models.PROTECT, related_name="items")
    registration = models.OneToOneField(
        EndpointRegistration, on_delete=models.PROTECT, related_name="portal_item"
    )
    isp_verdict = models.CharField(
        max_length=16, choices=IspVerdict.choices, default=IspVerdict.PENDING
    )
    isp_note = models.TextField(blank=True)
    isp_by_label = models.CharField(max_length=255, blank=True)
    isp_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.pk}"


def _portal_document_path(instance: PortalDocument, filename: str) -> str:
    import uuid

    return f"portal/{instance.request_id}/{uuid.uuid4().hex}.pdf"


class PortalDocument(models.Model):
    request = models.ForeignKey(PortalRequest, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=32, choices=PortalDocumentKind.choices)
    file = models.FileField(
        upload_to=_portal_document_path,
        max_length=255,
        blank=True,
        help_text="Empty once erased after the retention period (cvas.registry.retention).",
    )
    original_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the file (personal data) was deleted after the retention period.",
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"
