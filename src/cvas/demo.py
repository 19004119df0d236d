"""`cvas demo`: synthetic organisations, accounts, applications in every state and licences in
several states, made through the real workflow. Every record is flagged `is_demo` and shown as
demo data; none is ever mixed with the public record. Idempotent: a scenario already loaded is kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from cvas.accounts.choices import MembershipRole, OrganisationKind, StaffRole
from cvas.accounts.models import Organisation, User
from cvas.accounts.principal import Principal
from cvas.accounts.services import membership_set, organisation_create, role_grant, user_create
from cvas.audit.services import audit_record, snapshot
from cvas.core.actors import Actor
from cvas.core.timeutil import add_years, pk_today
from cvas.licensing import services as lic
from cvas.licensing.choices import Declaration, DocumentKind
from cvas.licensing.models import Application, Licence

DEMO_PASSWORD = "cvas-demo-2026"  # noqa: S105 - printed on purpose: demo accounts for `make run`
DEMO_DOMAIN = "demo.example"

ACCOUNTS: list[tuple[str, str, str]] = [
    # email, role, what they do
    (f"admin@{DEMO_DOMAIN}", StaffRole.ADMINISTRATOR, "administrator"),
    (f"licensing@{DEMO_DOMAIN}", StaffRole.LICENSING_OFFICER, "licensing officer"),
    (f"compliance@{DEMO_DOMAIN}", StaffRole.COMPLIANCE_OFFICER, "compliance officer"),
    (f"auditor@{DEMO_DOMAIN}", StaffRole.AUDITOR, "auditor"),
    (f"provider@{DEMO_DOMAIN}", "organisation_manager", "licensee: Falcon Secure Networks Pvt Ltd"),
    (f"applicant@{DEMO_DOMAIN}", "organisation_manager", "applicant: Ravi Connect Pvt Ltd"),
    (f"noc@{DEMO_DOMAIN}", "network_operator", "network operator: Indus Fibre Networks"),
]

# Drawn from Pakistan's real address blocks (shared/data/pk-ipv4.cidr, pk-ipv6.cidr).
PREFIXES = {
    "falcon": ["39.32.10.0/24", "2001:df0:84::/48"],
    "indigo": ["58.65.130.0/24"],
    "margalla": ["103.4.92.0/24"],
    "ravi": ["103.7.60.0/24", "2001:df0:279::/48"],
}
PDF = b"%PDF-1.4\n% synthetic demo document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _user(actor: Actor, email: str) -> User:
    user = User.objects.filter(email=email).first()
    return user or user_create(actor=actor, email=email, password=DEMO_PASSWORD, is_demo=True)


def _org(actor: Actor, name: str, kind: str) -> Organisation:
    org = Organisation.objects.filter(name=name).first()
    if org is not None:
        return org
    return organisation_create(
        actor=actor,
        name=name,
        kind=kind,
        is_demo=True,
        registration_number="DEMO-" + "".join(w[0] for w in name.split()).upper(),
        contact_email=f"contact@{name.split()[0].lower()}.{DEMO_DOMAIN}",
        address="Synthetic address, Islamabad (demo data)",
    )


@dataclasses.dataclass
class People:
    officer: Principal
    admin: Principal
    provider: Principal
    applicant: Principal


def _content(brand: str, site: str, prefixes: list[str]) -> dict[str, Any]:
    return {
        "service_description": f"{brand}: business VPN with gateways in Karachi and Lahore (synthetic demo data).",
        "brands": [{"name": brand, "websites": [site]}],
        "gateway_prefixes": prefixes,
        "declarations": {d.value: True for d in Declaration},
        "fee_payment_reference": f"DEMO-PSID-{zlib.crc32(brand.encode()) % 10**6:06d}",
    }


def _draft(p: Principal, org: Organisation, content: dict[str, Any]) -> Application:
    app = lic.application_create(principal=p, organisation=org, data=content, is_demo=True)
    for kind in (DocumentKind.INCORPORATION_CERTIFICATE, DocumentKind.SECURITY_POLICY):
        lic.document_add(principal=p, application=app, kind=kind, upload=_pdf(f"{kind}.pdf"))
    return app


def _licensed(
    people: People, who: Principal, org: Organisation, content: dict[str, Any]
) -> Licence:
    app = _draft(who, org, content)
    lic.application_submit(principal=who, application=app)
    lic.application_take(principal=people.officer, application=app)
    return lic.application_approve(
        principal=people.officer, application=app, reason="Meets the conditions (demo)."
    )


def _move_dates_into_past(actor: Actor, licence: Licence, *, issued: dt.date) -> None:
    """Demo only: a 15-year licence cannot have expired yet, so its dates are moved back, openly."""
    before = snapshot(licence)
    licence.issued_on = issued
    licence.expires_on = pk_today() - dt.timedelta(days=3)
    licence.save(update_fields=["issued_on", "expires_on"])
    audit_record(
        actor=actor,
        action="demo.move_dates",
        obj=licence,
        before=before,
        after=snapshot(licence),
        reason="Synthetic demo data: dates moved into the past to show an expired licence.",
    )


def _scenario_falcon(actor: Actor, people: People) -> None:
    org = Organisation.objects.get(name="Falcon Secure Networks Pvt Ltd")
    _licensed(
        people,
        people.provider,
        org,
        _content("Falcon Shield VPN", "falconshield.example", PREFIXES["falcon"]),
    )


def _scenario_indigo(actor: Actor, people: People) -> None:
    org = _org(actor, "Indigo Tunnel SMC-Pvt Ltd", OrganisationKind.SMC_PRIVATE)
    membership_set(
        actor=actor, organisation=org, user=people.provider.user, role=MembershipRole.MANAGER
    )  # type: ignore[arg-type]
    who = Principal.for_user(people.provider.user)
    licence = _licensed(
        people, who, org, _content("Indigo Tunnel", "indigotunnel.example", PREFIXES["indigo"])
    )
    lic.licence_suspend(
        principal=people.officer, licence=licence, reason="Quarterly return not filed (demo)."
    )


def _scenario_margalla(actor: Actor, people: People) -> None:
    org = _org(actor, "Margalla Data Pvt Ltd", OrganisationKind.COMPANY)
    membership_set(
        actor=actor, organisation=org, user=people.provider.user, role=MembershipRole.MANAGER
    )  # type: ignore[arg-type]
    who = Principal.for_user(people.provider.user)
    licence = _licensed(
        people,
        who,
        org,
        _content("Margalla Secure", "margallasecure.example", PREFIXES["margalla"]),
    )
    _move_dates_into_past(actor, licence, issued=add_years(pk_today(), -15) - dt.timedelta(days=3))
    lic.licences_expire_due(actor=actor)


def _scenario_ravi(actor: Actor, people: People) -> None:
    """One application in each state short of a licence."""
    org = Organisation.objects.get(name="Ravi Connect Pvt Ltd")
    a, o = people.applicant, people.officer
    lic.application_create(
        principal=a,
        organisation=org,
        data={"service_description": "Draft: still being written (demo)."},
        is_demo=True,
    )
    for i, stop in enumerate(
        [
            "submitted",
            "under_review",
            "information_requested",
            "resubmitted",
            "rejected",
            "withdrawn",
        ]
    ):
        content = _content(f"Ravi VPN {i + 1}", f"ravivpn{i + 1}.example", PREFIXES["ravi"])
        app = _draft(a, org, content)
        lic.application_submit(principal=a, application=app)
        if stop == "submitted":
            continue
        if stop == "withdrawn":
            lic.application_withdraw(principal=a, application=app, reason="Plans changed (demo).")
            continue
        lic.application_take(principal=o, application=app)
        if stop == "under_review":
            continue
        if stop == "rejected":
            lic.application_reject(
                principal=o,
                application=app,
                reason="Security policy does not cover key management (demo).",
            )
            continue
        lic.application_request_information(
            principal=o,
            application=app,
            reason="Please state where the gateways are hosted (demo).",
        )
        if stop == "resubmitted":
            lic.application_respond(
                principal=a,
                application=app,
                response="Karachi (KHI-1) and Lahore (LHE-2) data centres (demo).",
            )


def load(*, actor: Actor) -> dict[str, Any]:
    """Load every scenario not yet present; returns what was created and the demo accounts."""
    created: list[str] = []
    with transaction.atomic():
        users = {}
        for email, _role, _ in ACCOUNTS:
            users[email] = _user(actor, email)
        falcon = _org(actor, "Falcon Secure Networks Pvt Ltd", OrganisationKind.COMPANY)
        ravi = _org(actor, "Ravi Connect Pvt Ltd", OrganisationKind.SOFTWARE_HOUSE)
        isp = _org(actor, "Indus Fibre Networks", OrganisationKind.NETWORK_OPERATOR)
        targets = {
            f"provider@{DEMO_DOMAIN}": falcon,
            f"applicant@{DEMO_DOMAIN}": ravi,
            f"noc@{DEMO_DOMAIN}": isp,
        }
        for email, role, _ in ACCOUNTS:
            role_grant(actor=actor, user=users[email], role=role, organisation=targets.get(email))
    people = People(
        officer=Principal.for_user(users[f"licensing@{DEMO_DOMAIN}"]),
        admin=Principal.for_user(users[f"admin@{DEMO_DOMAIN}"]),
        provider=Principal.for_user(users[f"provider@{DEMO_DOMAIN}"]),
        applicant=Principal.for_user(users[f"applicant@{DEMO_DOMAIN}"]),
    )
    scenarios: list[tuple[str, Callable[[], bool], Callable[[Actor, People], None]]] = [
        (
            "active licence: Falcon Shield VPN",
            lambda: Licence.objects.filter(holder__name="Falcon Secure Networks Pvt Ltd").exists(),
            _scenario_falcon,
        ),
        (
            "suspended licence: Indigo Tunnel",
            lambda: Licence.objects.filter(holder__name="Indigo Tunnel SMC-Pvt Ltd").exists(),
            _scenario_indigo,
        ),
        (
            "expired licence: Margalla Secure",
            lambda: Licence.objects.filter(holder__name="Margalla Data Pvt Ltd").exists(),
            _scenario_margalla,
        ),
        (
            "applications in every state: Ravi Connect",
            lambda: Application.objects.filter(organisation__name="Ravi Connect Pvt Ltd").exists(),
            _scenario_ravi,
        ),
    ]
    for label, present, run in scenarios:
        if present():
            continue
        with transaction.atomic():
            run(actor, people)
        created.append(label)
    return {"created": created, "accounts": ACCOUNTS, "password": DEMO_PASSWORD}
