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

from cvas.accounts import totp
from cvas.accounts.choices import MembershipRole, OrganisationKind, StaffRole
from cvas.accounts.models import Organisation, User
from cvas.accounts.principal import Principal
from cvas.accounts.services import membership_set, organisation_create, role_grant, user_create
from cvas.audit.services import audit_record, snapshot
from cvas.core.actors import Actor
from cvas.core.timeutil import PAKISTAN, add_years, pk_today
from cvas.licensing import services as lic
from cvas.licensing.choices import Declaration, DocumentKind
from cvas.licensing.models import Application, Licence
from cvas.registry import demo as _registry_demo

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
    "karakoram": ["103.135.44.0/24"],
    "sindh": ["103.138.11.0/24"],
    "chenab": ["103.139.62.0/24"],
    "potohar": ["103.139.122.0/24"],
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
    provider = people.provider.user
    assert provider is not None
    membership_set(actor=actor, organisation=org, user=provider, role=MembershipRole.MANAGER)
    who = Principal.for_user(provider)
    licence = _licensed(
        people, who, org, _content("Indigo Tunnel", "indigotunnel.example", PREFIXES["indigo"])
    )
    lic.licence_suspend(
        principal=people.officer, licence=licence, reason="Quarterly return not filed (demo)."
    )


def _scenario_margalla(actor: Actor, people: People) -> None:
    org = _org(actor, "Margalla Data Pvt Ltd", OrganisationKind.COMPANY)
    provider = people.provider.user
    assert provider is not None
    membership_set(actor=actor, organisation=org, user=provider, role=MembershipRole.MANAGER)
    who = Principal.for_user(provider)
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


def _set_licence_dates(
    actor: Actor, licence: Licence, *, issued: dt.date, expires: dt.date
) -> None:
    """Demo only: a licence issued today owes no returns yet, so its dates are moved, openly."""
    from cvas.licensing.selectors import regime_in_force

    before = snapshot(licence)
    licence.issued_on = issued
    licence.expires_on = expires
    licence.regime = regime_in_force(issued) or licence.regime
    licence.save(update_fields=["issued_on", "expires_on", "regime"])
    audit_record(
        actor=actor,
        action="demo.move_dates",
        obj=licence,
        before=before,
        after=snapshot(licence),
        reason="Synthetic demo data: dates moved so that past return periods and expiry show.",
    )


def _demo_figures(seed: int, k: int, previous_total: int, categories: list[str]) -> dict[str, Any]:
    """Plausible, deterministic figures for the k-th return of a demo licensee."""
    weights = {
        "it_company": 40,
        "software_house": 25,
        "freelancer": 20,
        "bank": 4,
        "foreign_mission": 1,
        "other_business": 10,
        "individual": 60,
    }
    total = 120 * (seed + 1) + 35 * k + (k * 7 * (seed + 3)) % 23
    share = sum(weights[c] for c in categories)
    subscribers = {c: total * weights[c] // share for c in categories}
    total = sum(subscribers.values())
    ended = max(0, previous_total // 12)
    terabyte = 10**12
    return {
        "subscribers": subscribers,
        "new_subscriptions": total - previous_total + ended,
        "ended_subscriptions": ended,
        "traffic_domestic_bytes": (90 + 11 * k + 17 * seed) * terabyte,
        "traffic_international_bytes": (40 + 5 * k + 9 * seed) * terabyte + 123_456_789,
        "gateway_locations": ["Karachi (KHI-1)", "Lahore (LHE-2)"][: 1 + (seed + k) % 2],
        "incidents": [],
    }


def _scenario_compliance(actor: Actor, people: People) -> None:
    """Four licensees with past return periods: one files on time (and amends a return), one files
    late or not at all (its latest return due or late, an older one missing), and two whose licences
    expire within 30 and 60 days. A compliance officer has an open violation against the late one."""
    from cvas.compliance import services as compliance
    from cvas.compliance.choices import FiledVia, Sanction, ViolationKind
    from cvas.compliance.schedule import Schedule
    from cvas.compliance.selectors import licence_periods
    from cvas.core.timeutil import now

    today = pk_today()
    moment = now()
    schedule = Schedule.load()
    compliance_officer = Principal.for_user(User.objects.get(email=f"compliance@{DEMO_DOMAIN}"))
    plans = [
        # name, brand, site, prefixes, issued, expires, how each ended period is filed (newest first)
        (
            "Karakoram Link Pvt Ltd",
            "Karakoram Secure VPN",
            "karakoramsecure.example",
            "karakoram",
            today - dt.timedelta(days=550),
            None,
            "on_time",
        ),
        (
            "Sindh Shield Networks Pvt Ltd",
            "Sindh Shield VPN",
            "sindhshield.example",
            "sindh",
            today - dt.timedelta(days=550),
            None,
            "late",
        ),
        (
            "Chenab Data Pvt Ltd",
            "Chenab Secure",
            "chenabsecure.example",
            "chenab",
            None,
            today + dt.timedelta(days=21),
            "on_time",
        ),
        (
            "Potohar Net Pvt Ltd",
            "Potohar VPN",
            "potoharvpn.example",
            "potohar",
            None,
            today + dt.timedelta(days=45),
            "on_time",
        ),
    ]
    for seed, (name, brand, site, prefixes, issued, expires, pattern) in enumerate(plans):
        org = _org(actor, name, OrganisationKind.COMPANY)
        provider = people.provider.user
        assert provider is not None
        membership_set(actor=actor, organisation=org, user=provider, role=MembershipRole.MANAGER)
        who = Principal.for_user(provider)
        licence = _licensed(people, who, org, _content(brand, site, PREFIXES[prefixes]))
        if expires is not None:
            issued = add_years(expires, -15)
        assert issued is not None
        _set_licence_dates(actor, licence, issued=issued, expires=expires or add_years(issued, 15))
        ended = [
            p for p in licence_periods(licence, until=today, schedule=schedule) if p.end < today
        ]
        total = 0
        filed = []
        for k, period in enumerate(ended):
            from_end = len(ended) - k  # 1 = the latest ended period
            late = pattern == "late" and from_end in (2, 4)
            if pattern == "late" and from_end in (1, 3):
                continue  # the latest is due or late; the third from the end is missing
            regime = schedule.in_force(period.end) or licence.regime
            figures = _demo_figures(seed, k, total, list(regime.permitted_categories))
            if pattern == "late" and from_end == 4:
                figures["new_subscriptions"] += 9  # does not add up: noted for review
            day = (
                period.due_on + dt.timedelta(days=12) if late else period.end + dt.timedelta(days=5)
            )
            filed_at = min(
                moment,
                dt.datetime.combine(day, dt.time(11, 0), tzinfo=PAKISTAN),
            )
            ret = compliance.return_file(
                principal=who,
                licence=licence,
                period_start=period.start,
                period_end=period.end,
                data=figures,
                via=FiledVia.DEMO,
                filed_at=filed_at,
            )
            filed.append((ret, figures, filed_at))
            total = sum(figures["subscribers"].values())
        if pattern == "on_time" and len(filed) >= 3:
            ret, figures, filed_at = filed[-3]
            corrected = {
                **figures,
                "traffic_international_bytes": figures["traffic_international_bytes"] - 3 * 10**12,
            }
            compliance.return_amend(
                principal=who,
                periodic_return=ret,
                data=corrected,
                reason="International traffic corrected after a meter fault at the Karachi gateway (demo).",
                via=FiledVia.DEMO,
                filed_at=min(moment, filed_at + dt.timedelta(days=20)),
            )
        if pattern == "late" and len(ended) >= 3:
            missing = ended[-3]
            compliance.violation_record(
                principal=compliance_officer,
                licence=licence,
                kind=ViolationKind.MISSING_RETURN,
                occurred_on=missing.due_on + dt.timedelta(days=1),
                evidence=(
                    f"No return filed for {missing.label} ({missing.start} to {missing.end}), due by "
                    f"{missing.due_on}; two other returns were filed late (demo)."
                ),
                sanction=Sanction.FINE,
                fine_amount_pkr="500000",
                reason="A missing return and repeated late filing (demo).",
            )


def _registry_demo_present() -> bool:
    from cvas.registry.models import EndpointRegistration

    return EndpointRegistration.objects.filter(is_demo=True).exists()


def _exports_present() -> bool:
    from cvas.lookup.models import ExportFile

    return ExportFile.objects.exists()


def _publish_exports(actor: Actor) -> None:
    """What `cvas tick` publishes daily, published once now, so that the demo network operator
    (noc@demo.example) finds the files at /api/v1/exports on a fresh `make run`."""
    from cvas.lookup.services import publish_exports

    publish_exports(actor=actor)


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
        # Staff need a second factor: each demo staff account gets an authenticator whose key is
        # printed by `cvas demo` (the same on every run of this installation).
        totp_keys = {}
        for email, role, _ in ACCOUNTS:
            if role in StaffRole.values:
                totp_keys[email] = totp.demo_secret(email)
                totp.device_set(actor=actor, user=users[email], secret=totp_keys[email])
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
        (
            "compliance: returns on time, late and missing; licences expiring; an open violation",
            lambda: Licence.objects.filter(holder__name="Sindh Shield Networks Pvt Ltd").exists(),
            _scenario_compliance,
        ),
        (
            "registry: subscribers, endpoint registrations, a legacy-portal request",
            lambda: _registry_demo_present(),
            lambda actor, people: _registry_demo.load(people=people),
        ),
        (
            "lookup exports for network operators (csv, json, cidr, mmdb)",
            lambda: _exports_present(),
            lambda actor, people: _publish_exports(actor),
        ),
    ]
    for label, present, run in scenarios:
        if present():
            continue
        with transaction.atomic():
            run(actor, people)
        created.append(label)
    return {
        "created": created,
        "accounts": ACCOUNTS,
        "password": DEMO_PASSWORD,
        "totp": totp_keys,
    }
