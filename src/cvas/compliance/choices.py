"""Kinds and states in the compliance domain."""

from django.db import models


class FiledVia(models.TextChoices):
    PORTAL = "portal", "Portal form"
    API = "api", "API (JSON)"
    CSV = "csv", "CSV file"
    COMMAND = "command", "Command line"
    DEMO = "demo", "Demo data"


class ReturnState(models.TextChoices):
    """Where one licence's return for one period stands on a given day (computed, never stored)."""

    UPCOMING = "upcoming", "Period not yet ended"
    DUE = "due", "Due"
    LATE = "late", "Late"
    MISSING = "missing", "Missing"
    FILED = "filed", "Filed on time"
    FILED_LATE = "filed_late", "Filed late"


OUTSTANDING_STATES = frozenset({ReturnState.DUE, ReturnState.LATE, ReturnState.MISSING})


class IncidentKind(models.TextChoices):
    DATA_BREACH = "data_breach", "Data breach"
    UNAUTHORISED_ACCESS = "unauthorised_access", "Unauthorised access"
    DENIAL_OF_SERVICE = "denial_of_service", "Denial of service"
    MALWARE = "malware", "Malware"
    SERVICE_OUTAGE = "service_outage", "Service outage"
    OTHER = "other", "Other"


class ReminderKind(models.TextChoices):
    RETURN_DUE = "return_due", "Return due"
    RETURN_LATE = "return_late", "Return late"
    RETURN_MISSING = "return_missing", "Return missing"
    LICENCE_EXPIRING_60 = "licence_expiring_60", "Licence expires within 60 days"
    LICENCE_EXPIRING_30 = "licence_expiring_30", "Licence expires within 30 days"


class ReminderOutcome(models.TextChoices):
    SENT = "sent", "Queued for sending"
    SUPERSEDED = "superseded", "Not sent: a later reminder for the same object replaced it"
    NO_RECIPIENT = "no_recipient", "Not sent: the licensee has no contact address"


class ViolationKind(models.TextChoices):
    LATE_RETURN = "late_return", "Return filed late"
    MISSING_RETURN = "missing_return", "Return not filed"
    REPEATED_LATE_RETURNS = "repeated_late_returns", "Repeated late returns"
    INACCURATE_RETURN = "inaccurate_return", "Inaccurate return"
    UNPERMITTED_SUBSCRIBERS = "unpermitted_subscribers", "Subscribers the regime does not permit"
    UNREPORTED_INCIDENT = "unreported_incident", "Security incident not reported"
    LICENCE_CONDITION = "licence_condition", "Breach of a licence condition"
    OTHER = "other", "Other"


class Sanction(models.TextChoices):
    WARNING = "warning", "Warning"
    FINE = "fine", "Fine"
    SUSPENSION = "suspension", "Suspension of the licence"


class ViolationState(models.TextChoices):
    AWAITING_CONFIRMATION = (
        "awaiting_confirmation",
        "Proposed by the system; a compliance officer confirms or dismisses",
    )
    OPEN = "open", "Recorded; no sanction proposed yet"
    SANCTION_PROPOSED = "sanction_proposed", "Sanction proposed; awaiting the licensing officer"
    SANCTIONED = "sanctioned", "Decided: sanction imposed"
    NOT_SANCTIONED = "not_sanctioned", "Decided: no sanction"
    DISMISSED = "dismissed", "Dismissed"


OPEN_VIOLATION_STATES = frozenset(
    {
        ViolationState.AWAITING_CONFIRMATION,
        ViolationState.OPEN,
        ViolationState.SANCTION_PROPOSED,
    }
)


class Decision(models.TextChoices):
    IMPOSE = "impose", "Impose the proposed sanction"
    REJECT = "reject", "No sanction"


class CostParameterKey(models.TextChoices):
    PRICE_PER_MB_USD = "price_per_mb_usd", "International bandwidth price per MB (USD)"
    PRICE_PER_TBPS_MINUTE_USD = (
        "price_per_tbps_minute_usd",
        "Cost per minute of 1 Tbps of international use (USD)",
    )
    USD_TO_PKR = "usd_to_pkr", "US dollar to Pakistani rupee rate"
