"""Kinds of organisation and the roles of DESIGN.md."""

from django.db import models


class OrganisationKind(models.TextChoices):
    COMPANY = "company", "Company (Pvt Ltd)"
    SMC_PRIVATE = "smc_private", "Single-member company (SMC-Pvt Ltd)"
    BANK = "bank", "Bank"
    FOREIGN_MISSION = "foreign_mission", "Foreign mission"
    SOFTWARE_HOUSE = "software_house", "Software house"
    FREELANCER = "freelancer", "Freelancer / sole proprietor"
    NETWORK_OPERATOR = "network_operator", "Network operator (ISP/IXP)"
    INDIVIDUAL = "individual", "Individual"


class MembershipRole(models.TextChoices):
    """A user's role inside one organisation."""

    MANAGER = "manager", "Manager (manages members and API keys)"
    MEMBER = "member", "Member"


class StaffRole(models.TextChoices):
    """Regulator roles, held by a user independent of any organisation."""

    LICENSING_OFFICER = "licensing_officer", "Licensing officer"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"
    ADMINISTRATOR = "administrator", "Administrator"
    AUDITOR = "auditor", "Auditor"


class ApiScope(models.TextChoices):
    READ = "read", "Read own organisation's data"
    WRITE = "write", "Create and change own organisation's data"
    LOOKUP = "lookup", "Look up and download registered endpoints"


# Roles accepted by `cvas grant-role`: the staff roles, and organisation roles that need --organisation.
ORGANISATION_ROLES = {
    "organisation_member": MembershipRole.MEMBER,
    "organisation_manager": MembershipRole.MANAGER,
    "network_operator": MembershipRole.MEMBER,
}
