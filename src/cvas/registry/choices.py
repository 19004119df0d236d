"""States and kinds in the registry: subscribers, endpoint registrations, portal requests, imports."""

# The labels stay English, as stored and as the API gives them; each is marked with gettext_noop
# so that it lands in the catalogue, and the pages translate it when they show it.

from django.db import models
from django.utils.translation import gettext_noop

from cvas.licensing.choices import SubscriberCategory

__all__ = ["SubscriberCategory"]


class HolderType(models.TextChoices):
    ORGANISATION = "organisation", gettext_noop("Organisation")
    INDIVIDUAL = "individual", gettext_noop("Individual")


class IdentityKind(models.TextChoices):
    CNIC = "cnic", gettext_noop("CNIC (national identity card)")
    NTN = "ntn", gettext_noop("NTN (national tax number)")


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", gettext_noop("Active")
    ENDED = "ended", gettext_noop("Ended")


class EndpointKind(models.TextChoices):
    PREFIX = "prefix", gettext_noop("IP prefix")
    MSISDN = "msisdn", gettext_noop("Mobile number")


class EndpointSource(models.TextChoices):
    LICENSEE = "licensee", gettext_noop("Reported by a licensee")
    PORTAL = "portal", gettext_noop("Registered by the holder (IP-registration portal)")


class EndpointStatus(models.TextChoices):
    PENDING = "pending", gettext_noop("Pending")
    ACTIVE = "active", gettext_noop("Active")
    ENDED = "ended", gettext_noop("Ended")
    REJECTED = "rejected", gettext_noop("Rejected")


class ImportKind(models.TextChoices):
    ENDPOINTS = "endpoints", gettext_noop("Endpoint registrations")
    SUBSCRIBERS = "subscribers", gettext_noop("Subscribers")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", gettext_noop("Queued")
    RUNNING = "running", gettext_noop("Running")
    SUCCEEDED = "succeeded", gettext_noop("Succeeded")
    REFUSED = "refused", gettext_noop("Refused (bad rows; nothing changed)")
    FAILED = "failed", gettext_noop("Failed (nothing changed)")


class RowAction(models.TextChoices):
    UPSERT = "upsert", gettext_noop("Create or update")
    END = "end", gettext_noop("End")


class PortalState(models.TextChoices):
    DRAFT = "draft", gettext_noop("Draft")
    SUBMITTED = "submitted", gettext_noop("Submitted: with the internet service provider")
    VERIFIED = "verified", gettext_noop("Verified by the provider: with the Authority")
    DECIDED = "decided", gettext_noop("Decided")
    WITHDRAWN = "withdrawn", gettext_noop("Withdrawn")


class IspVerdict(models.TextChoices):
    PENDING = "pending", gettext_noop("Awaiting the provider")
    CONFIRMED = "confirmed", gettext_noop("Confirmed by the provider")
    DISPUTED = "disputed", gettext_noop("Disputed by the provider")


class PortalDocumentKind(models.TextChoices):
    BUSINESS_PROOF = (
        "business_proof",
        gettext_noop("Certificate of incorporation or tax (NTN) proof"),
    )
    RESPONSIBLE_CNIC = "responsible_cnic", gettext_noop("CNIC of the responsible person")
    LETTER = "letter", gettext_noop("Request letter on the applicant's letterhead")
    SEB_CERTIFICATE = "seb_certificate", gettext_noop("Software-export-board (PSEB) certificate")


PORTAL_REQUIRED_DOCUMENTS = (
    PortalDocumentKind.BUSINESS_PROOF,
    PortalDocumentKind.RESPONSIBLE_CNIC,
    PortalDocumentKind.LETTER,
)
# Applicant kinds (accounts.OrganisationKind) that must also show a software-export-board certificate.
SEB_KINDS = frozenset({"software_house", "freelancer"})
