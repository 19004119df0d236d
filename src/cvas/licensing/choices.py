"""States and kinds in the licensing domain."""

from django.db import models


class SubscriberCategory(models.TextChoices):
    IT_COMPANY = "it_company", "IT company"
    BANK = "bank", "Bank"
    FOREIGN_MISSION = "foreign_mission", "Foreign mission"
    SOFTWARE_HOUSE = "software_house", "Software house"
    FREELANCER = "freelancer", "Freelancer"
    INDIVIDUAL = "individual", "Individual"
    OTHER_BUSINESS = "other_business", "Other business"


class ReturnPeriod(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class ApplicationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    INFORMATION_REQUESTED = "information_requested", "Information requested"
    RESUBMITTED = "resubmitted", "Resubmitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_APPLICATION_STATES = frozenset(
    {
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.UNDER_REVIEW,
        ApplicationState.INFORMATION_REQUESTED,
        ApplicationState.RESUBMITTED,
    }
)
# States in which the applicant may edit the application's content.
EDITABLE_APPLICATION_STATES = frozenset(
    {ApplicationState.DRAFT, ApplicationState.INFORMATION_REQUESTED}
)


class DocumentKind(models.TextChoices):
    INCORPORATION_CERTIFICATE = (
        "incorporation_certificate",
        "Certificate of incorporation (SECP) or NTN certificate",
    )
    SECURITY_POLICY = "security_policy", "Data-security policy"
    TECHNICAL_PROPOSAL = "technical_proposal", "Technical proposal"
    FEE_RECEIPT = "fee_receipt", "Fee payment receipt"
    RESPONSE = "response", "Response to an information request"
    OTHER = "other", "Other"


REQUIRED_DOCUMENT_KINDS = (DocumentKind.INCORPORATION_CERTIFICATE, DocumentKind.SECURITY_POLICY)


class Declaration(models.TextChoices):
    """Data-security declarations an applicant must make before submitting."""

    DATA_PROTECTION = (
        "data_protection",
        "Subscriber data is protected with industry-standard security controls",
    )
    LAWFUL_USE = (
        "lawful_use",
        "Service is provided for lawful purposes only, under the licence conditions",
    )
    RECORDS_KEPT = (
        "records_kept",
        "Subscriber and gateway records are kept and reported to the Authority as required",
    )
    INCIDENT_REPORTING = "incident_reporting", "Security incidents are reported to the Authority"


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    SURRENDERED = "surrendered", "Surrendered"


class LicenceAction(models.TextChoices):
    ISSUE = "issue", "Issued"
    RECORD_PUBLIC = "record_public", "Recorded from the public record"
    RECORD_NUMBER = "record_number", "Official number recorded"
    SUSPEND = "suspend", "Suspended"
    REINSTATE = "reinstate", "Reinstated"
    REVOKE = "revoke", "Revoked"
    SURRENDER = "surrender", "Surrendered"
    RENEW = "renew", "Renewed"
    EXPIRE = "expire", "Expired"
