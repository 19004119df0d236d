"""Returns (each filing kept as an immutable version), reminders sent, violations and cost parameters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cvas.compliance.choices import (
    CostParameterKey,
    Decision,
    FiledVia,
    ReminderKind,
    ReminderOutcome,
    Sanction,
    ViolationKind,
    ViolationState,
)
from cvas.compliance.schedule import period_label
from cvas.licensing.models import Licence


class Return(models.Model):
    """One licence's periodic return for one period. Its figures live in versions; the first filing is
    version 1, and an amendment adds a version without touching the earlier ones."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="returns")
    period_start = models.DateField()
    period_end = models.DateField()
    due_on = models.DateField(help_text="Last day to file without being late (Pakistan date).")
    first_filed_at = models.DateTimeField()
    filed_late = models.BooleanField(default=False)
    current_version = models.PositiveSmallIntegerField(default=1)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "licence_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "period_start"], name="return_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="return_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("period_end")),
                name="return_due_not_before_period_end",
            ),
            models.CheckConstraint(
                condition=models.Q(current_version__gte=1), name="return_version_positive"
            ),
        ]
        indexes = [models.Index(fields=["period_end"], name="return_period_end_idx")]

    def __str__(self) -> str:
        return f"Return of {self.licence} for {self.period_start} to {self.period_end}"

    @property
    def period_label(self) -> str:
        return period_label(self.period_start, self.period_end)


class ReturnVersion(models.Model):
    """The figures of one filing. Never updated (a database trigger refuses it): an amendment is a new row."""

    periodic_return = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveSmallIntegerField()
    filed_at = models.DateTimeField(default=timezone.now)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filed_by_label = models.CharField(max_length=255)
    via = models.CharField(max_length=16, choices=FiledVia.choices)
    amendment_reason = models.TextField(blank=True)
    subscribers = models.JSONField(
        default=dict, help_text="Subscribers at the period's end, by category: {category: count}."
    )
    subscribers_total = models.PositiveBigIntegerField(default=0)
    new_subscriptions = models.PositiveBigIntegerField(default=0)
    ended_subscriptions = models.PositiveBigIntegerField(default=0)
    traffic_domestic_bytes = models.PositiveBigIntegerField(default=0)
    traffic_international_bytes = models.PositiveBigIntegerField(default=0)
    gateway_locations = models.JSONField(default=list, blank=True)
    incidents = models.JSONField(
        default=list, blank=True, help_text='[{"date", "kind", "description", "resolved"}]'
    )
    flags = models.JSONField(
        default=list,
        blank=True,
        help_text='Differences noticed but not refused: [{"code", "field", "message"}].',
    )

    class Meta:
        ordering = ["periodic_return_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["periodic_return", "version"], name="return_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.periodic_return} v{self.version}"


class Reminder(models.Model):
    """A reminder decided for one event: the unique key makes repeated or overlapping ticks send it once."""

    kind = models.CharField(max_length=32, choices=ReminderKind.choices)
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="reminders")
    key = models.CharField(
        max_length=32,
        help_text="The event's date: a return period's first day, or the expiry date for licence reminders.",
    )
    outcome = models.CharField(max_length=16, choices=ReminderOutcome.choices)
    recipients = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    job_id = models.CharField(max_length=64, blank=True)
    tick_day = models.DateField(help_text="The Pakistan date of the tick that decided it.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "licence", "key"], name="reminder_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.licence} {self.key}: {self.outcome}"


class Violation(models.Model):
    reference = models.CharField(max_length=32, unique=True, editable=False)
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="violations")
    kind = models.CharField(max_length=32, choices=ViolationKind.choices)
    occurred_on = models.DateField()
    evidence = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=32, choices=ViolationState.choices)
    proposed_sanction = models.CharField(max_length=16, choices=Sanction.choices, blank=True)
    fine_amount_pkr = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    proposal_reason = models.TextField(blank=True)
    is_automatic = models.BooleanField(
        default=False, help_text="Proposed by `cvas tick`, not by an officer."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=255)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by_label = models.CharField(max_length=255, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        proposed_sanction=Sanction.FINE,
                        fine_amount_pkr__isnull=False,
                        fine_amount_pkr__gt=0,
                    )
                    | (~models.Q(proposed_sanction=Sanction.FINE) & models.Q(fine_amount_pkr=None))
                ),
                name="violation_fine_amount_only_for_fines",
            ),
        ]
        indexes = [models.Index(fields=["state"], name="violation_state_idx")]

    def __str__(self) -> str:
        return self.reference


class ViolationEvent(models.Model):
    """The violation's history: each move with who, when and why."""

    violation = models.ForeignKey(Violation, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=32, choices=ViolationState.choices, blank=True)
    to_state = models.CharField(max_length=32, choices=ViolationState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=255)
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.violation}: {self.from_state or '-'} → {self.to_state}"


class CostParameter(models.Model):
    """A figure of the cost model, with where it comes from and whether it is an assumption."""

    key = models.CharField(max_length=32, choices=CostParameterKey.choices, unique=True)
    value = models.DecimalField(max_digits=20, decimal_places=6)
    unit = models.CharField(max_length=32)
    source = models.TextField()
    is_assumption = models.BooleanField(default=False)
    as_of = models.DateField(null=True, blank=True, help_text="The date the value refers to.")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gt=0), name="cost_parameter_positive")
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value} {self.unit}"
