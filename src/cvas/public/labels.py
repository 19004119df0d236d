"""Translated names for the domain's choices (licensing and accounts keep plain English labels,
which the API and e-mails use): each label is marked here so that it lands in the catalogue, and
`label()` translates one at render time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, gettext_noop

from cvas.accounts.choices import MembershipRole, OrganisationKind, StaffRole
from cvas.licensing.choices import (
    ApplicationState,
    Declaration,
    DocumentKind,
    LicenceAction,
    LicenceStatus,
    ReturnPeriod,
    SubscriberCategory,
)

TRANSLATED_CHOICES: tuple[type[models.TextChoices], ...] = (
    ApplicationState,
    Declaration,
    DocumentKind,
    LicenceAction,
    LicenceStatus,
    ReturnPeriod,
    SubscriberCategory,
    MembershipRole,
    OrganisationKind,
    StaffRole,
)

# The labels as they stand in the choices, for makemessages (kept in step by a test).
_MARKED = [
    gettext_noop("Draft"),
    gettext_noop("Submitted"),
    gettext_noop("Under review"),
    gettext_noop("Information requested"),
    gettext_noop("Resubmitted"),
    gettext_noop("Approved"),
    gettext_noop("Rejected"),
    gettext_noop("Withdrawn"),
    gettext_noop("Subscriber data is protected with industry-standard security controls"),
    gettext_noop("Service is provided for lawful purposes only, under the licence conditions"),
    gettext_noop(
        "Subscriber and gateway records are kept and reported to the Authority as required"
    ),
    gettext_noop("Security incidents are reported to the Authority"),
    gettext_noop("Certificate of incorporation (SECP) or NTN certificate"),
    gettext_noop("Data-security policy"),
    gettext_noop("Technical proposal"),
    gettext_noop("Fee payment receipt"),
    gettext_noop("Response to an information request"),
    gettext_noop("Other"),
    gettext_noop("Issued"),
    gettext_noop("Recorded from the public record"),
    gettext_noop("Official number recorded"),
    gettext_noop("Suspended"),
    gettext_noop("Reinstated"),
    gettext_noop("Revoked"),
    gettext_noop("Surrendered"),
    gettext_noop("Renewed"),
    gettext_noop("Expired"),
    gettext_noop("Active"),
    gettext_noop("Monthly"),
    gettext_noop("Quarterly"),
    gettext_noop("IT company"),
    gettext_noop("Bank"),
    gettext_noop("Foreign mission"),
    gettext_noop("Software house"),
    gettext_noop("Freelancer"),
    gettext_noop("Individual"),
    gettext_noop("Other business"),
    gettext_noop("Manager (manages members and API keys)"),
    gettext_noop("Member"),
    gettext_noop("Company (Pvt Ltd)"),
    gettext_noop("Single-member company (SMC-Pvt Ltd)"),
    gettext_noop("Freelancer / sole proprietor"),
    gettext_noop("Network operator (ISP/IXP)"),
    gettext_noop("Licensing officer"),
    gettext_noop("Compliance officer"),
    gettext_noop("Administrator"),
    gettext_noop("Auditor"),
]


def label(choices: type[models.TextChoices], value: str) -> str:
    """The translated label of one value ('' for an empty value, the value itself if unknown)."""
    if not value:
        return ""
    try:
        return gettext(str(choices(value).label))
    except ValueError:
        return value


def translated_choices(choices: type[models.TextChoices]) -> list[tuple[str, str]]:
    return [(str(value), gettext(str(text))) for value, text in choices.choices]
