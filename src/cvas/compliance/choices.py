"""Kinds and states in the compliance domain."""

# The labels stay English, as stored and as the API gives them; each is marked with gettext_noop
# so that it lands in the catalogue, and the pages translate it when they show it.

from django.db import models
from django.utils.translation import gettext_noop


class FiledVia(models.TextChoices):
    PORTAL = "portal", gettext_noop("Portal form")
    API = "api", gettext_noop("API (JSON)")
    CSV = "csv", gettext_noop("CSV file")
    COMMAND = "command", gettext_noop("Command line")
    DEMO = "demo", gettext_noop("Demo data")


class ReturnState(models.TextChoices):
    """Where one licence's return for one period stands on a given day (computed, never stored)."""

    UPCOMING = "upcoming", gettext_noop("Period not yet ended")
    DUE = "due", gettext_noop("Due")
    LATE = "late", gettext_noop("Late")
    MISSING = "missing", gettext_noop("Missing")
    FILED = "filed", gettext_noop("Filed on time")
    FILED_LATE = "filed_late", gettext_noop("Filed late")


OUTSTANDING_STATES = frozenset({ReturnState.DUE, ReturnState.LATE, ReturnState.MISSING})


class IncidentKind(models.TextChoices):
    DATA_BREACH = "data_breach", gettext_noop("Data breach")
    UNAUTHORISED_ACCESS = "unauthorised_access", gettext_noop("Unauthorised access")
    DENIAL_OF_SERVICE = "denial_of_service", gettext_noop("Denial of service")
    MALWARE = "malware", gettext_noop("Malware")
    SERVICE_OUTAGE = "service_outage", gettext_noop("Service outage")
    OTHER = "other", gettext_noop("Other")


class ReminderKind(models.TextChoices):
    RETURN_DUE = "return_due", gettext_noop("Return due")
    RETURN_LATE = "return_late", gettext_noop("Return late")
    RETURN_MISSING = "return_missing", gettext_noop("Return missing")
    LICENCE_EXPIRING_60 = "licence_expiring_60", gettext_noop("Licence expires within 60 days")
    LICENCE_EXPIRING_30 = "licence_expiring_30", gettext_noop("Licence expires within 30 days")


class ReminderOutcome(models.TextChoices):
    SENT = "sent", gettext_noop("Queued for sending")
    SUPERSEDED = (
        "superseded",
        gettext_noop("Not sent: a later reminder for the same object replaced it"),
    )
    NO_RECIPIENT = "no_recipient", gettext_noop("Not sent: the licensee has no contact address")


class ViolationKind(models.TextChoices):
    LATE_RETURN = "late_return", gettext_noop("Return filed late")
    MISSING_RETURN = "missing_return", gettext_noop("Return not filed")
    REPEATED_LATE_RETURNS = "repeated_late_returns", gettext_noop("Repeated late returns")
    INACCURATE_RETURN = "inaccurate_return", gettext_noop("Inaccurate return")
    UNPERMITTED_SUBSCRIBERS = (
        "unpermitted_subscribers",
        gettext_noop("Subscribers the regime does not permit"),
    )
    UNREPORTED_INCIDENT = "unreported_incident", gettext_noop("Security incident not reported")
    LICENCE_CONDITION = "licence_condition", gettext_noop("Breach of a licence condition")
    OTHER = "other", gettext_noop("Other")


class Sanction(models.TextChoices):
    WARNING = "warning", gettext_noop("Warning")
    FINE = "fine", gettext_noop("Fine")
    SUSPENSION = "suspension", gettext_noop("Suspension of the licence")


class ViolationState(models.TextChoices):
    AWAITING_CONFIRMATION = (
        "awaiting_confirmation",
        gettext_noop("Proposed by the system; a compliance officer confirms or dismisses"),
    )
    OPEN = "open", gettext_noop("Recorded; no sanction proposed yet")
    SANCTION_PROPOSED = (
        "sanction_proposed",
        gettext_noop("Sanction proposed; awaiting the licensing officer"),
    )
    SANCTIONED = "sanctioned", gettext_noop("Decided: sanction imposed")
    NOT_SANCTIONED = "not_sanctioned", gettext_noop("Decided: no sanction")
    DISMISSED = "dismissed", gettext_noop("Dismissed")


OPEN_VIOLATION_STATES = frozenset(
    {
        ViolationState.AWAITING_CONFIRMATION,
        ViolationState.OPEN,
        ViolationState.SANCTION_PROPOSED,
    }
)


class Decision(models.TextChoices):
    IMPOSE = "impose", gettext_noop("Impose the proposed sanction")
    REJECT = "reject", gettext_noop("No sanction")


class CostParameterKey(models.TextChoices):
    PRICE_PER_MB_USD = (
        "price_per_mb_usd",
        gettext_noop("International bandwidth price per MB (USD)"),
    )
    PRICE_PER_TBPS_MINUTE_USD = (
        "price_per_tbps_minute_usd",
        gettext_noop("Cost per minute of 1 Tbps of international use (USD)"),
    )
    USD_TO_PKR = "usd_to_pkr", gettext_noop("US dollar to Pakistani rupee rate")
