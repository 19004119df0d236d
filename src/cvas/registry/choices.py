"""States and kinds in the registry: subscribers, endpoint registrations, portal requests, imports."""

from django.db import models

from cvas.licensing.choices import SubscriberCategory

__all__ = ["SubscriberCategory"]


class HolderType(models.TextChoices):
    ORGANISATION = "organisation", "Organisation"
    INDIVIDUAL = "individual", "Individual"


class IdentityKind(models.TextChoices):
    CNIC = "cnic", "CNIC (national identity card)"
    NTN = "ntn", "NTN (national tax number)"


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class EndpointKind(models.TextChoices):
    PREFIX = "prefix", "IP prefix"
    MSISDN = "msisdn", "Mobile number"


class EndpointSource(models.TextChoices):
    LICENSEE = "licensee", "Reported by a licensee"
    PORTAL = "portal", "Registered by the holder (IP-registration portal)"


class EndpointStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    REJECTED = "rejected", "Rejected"


class ImportKind(models.TextChoices):
    ENDPOINTS = "endpoints", "Endpoint registrations"
    SUBSCRIBERS = "subscribers", "Subscribers"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    REFUSED = "refused", "Refused (bad rows; nothing changed)"
    FAILED = "failed", "Failed (nothing changed)"


class RowAction(models.TextChoices):
    UPSERT = "upsert", "Create or update"
    END = "end", "End"


class PortalState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted: with the internet service provider"
    VERIFIED = "verified", "Verified by the provider: with the Authority"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"


class IspVerdict(models.TextChoices):
    PENDING = "pending", "Awaiting the provider"
    CONFIRMED = "confirmed", "Confirmed by the provider"
    DISPUTED = "disputed", "Disputed by the provider"


class PortalDocumentKind(models.TextChoices):
    BUSINESS_PROOF = "business_proof", "Certificate of incorporation or tax (NTN) proof"
    RESPONSIBLE_CNIC = "responsible_cnic", "CNIC of the responsible person"
    LETTER = "letter", "Request letter on the applicant's letterhead"
    SEB_CERTIFICATE = "seb_certificate", "Software-export-board (PSEB) certificate"


PORTAL_REQUIRED_DOCUMENTS = (
    PortalDocumentKind.BUSINESS_PROOF,
    PortalDocumentKind.RESPONSIBLE_CNIC,
    PortalDocumentKind.LETTER,
)
# Applicant kinds (accounts.OrganisationKind) that must also show a software-export-board certificate.
SEB_KINDS = frozenset({"software_house", "freelancer"})
