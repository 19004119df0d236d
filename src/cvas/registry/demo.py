"""Demo data for the registry (`cvas demo`): subscribers and endpoint registrations of the demo
licensees, drawn from Pakistan's real address blocks, and a legacy-portal request of 2024 that the
demo ISP (noc@demo.example) confirmed. Made through the real services, all flagged demo.

Canary-free: no identity number, mobile number or name here is one that the tests search a
database dump for (tests/registry/test_personal_data.py), so that search stays meaningful on a
database that also holds demo data. Identity numbers are in the synthetic 6xxxx series."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from cvas.accounts.models import Organisation, User
from cvas.accounts.principal import Principal
from cvas.licensing.choices import LicenceStatus
from cvas.licensing.models import Licence
from cvas.registry import services
from cvas.registry.choices import IspVerdict, PortalDocumentKind

# Real blocks of Pakistani operators (shared/data/pk-ipv4.cidr, pk-ipv6.cidr): a gateway block and
# a customer block per demo licensee; customers' /29s are delegated from the customer block.
BLOCKS = [
    ("14.1.104.0/24", "14.1.105.0/24", "2001:fe8::/48"),
    ("27.0.184.0/24", "27.0.185.0/24", "2001:4538::/48"),
    ("27.54.120.0/24", "27.54.121.0/24", "2400:1460::/48"),
]
PORTAL_ADDRESSES = [
    "36.255.32.10",
    "36.255.32.11",
    "36.255.32.12",
    "36.255.32.13",
    "36.255.32.14",
    "03001110001",
]
ORGS = [
    ("it_company", "Indus Code Works Pvt Ltd"),
    ("bank", "Demo Mercantile Bank Ltd"),
    ("software_house", "Gulberg Software House"),
    ("foreign_mission", "Demo Embassy Islamabad"),
]
PEOPLE = ["Demo Person One", "Demo Person Two", "Demo Person Three"]
PDF = b"%PDF-1.4\n% synthetic demo document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _licensee_data(p: Principal, licence: Licence, n: int) -> None:
    gateway, customers, v6 = BLOCKS[n]
    name = licence.holder.name
    for ref, prefix in (("gw-v4", gateway), ("gw-v6", v6), ("cust-block", customers)):
        services.endpoint_save(
            principal=p,
            licence=licence,
            data={"ref": ref, "prefix": prefix, "holder_name": name, "holder_type": "organisation"},
            is_demo=True,
        )
    base = customers.rsplit(".", 2)[0] + "." + customers.split(".")[2]
    for i, (category, org) in enumerate(ORGS):
        ref = f"S-ORG-{i + 1}"
        services.subscriber_save(
            principal=p,
            licence=licence,
            data={
                "ref": ref,
                "subscriber_type": "organisation",
                "category": category,
                "name": org,
                "ntn": f"6{n}0000{i}-{i}",
                "start_date": "2025-12-01",
            },
            is_demo=True,
        )
        services.endpoint_save(
            principal=p,
            licence=licence,
            data={
                "ref": f"addr-org-{i + 1}",
                "prefix": f"{base}.{8 * i}/29",
                "holder_name": org,
                "holder_type": "organisation",
                "subscriber_ref": ref,
                "delegated_from": "cust-block",
            },
            is_demo=True,
        )
    for i, person in enumerate(PEOPLE):
        ref = f"S-IND-{i + 1}"
        services.subscriber_save(
            principal=p,
            licence=licence,
            data={
                "ref": ref,
                "subscriber_type": "individual",
                "category": "individual",
                "name": person,
                "cnic": f"6{n}101-000000{i}-{i}",
                "start_date": "2025-12-15",
            },
            is_demo=True,
        )
        services.endpoint_save(
            principal=p,
            licence=licence,
            data={
                "ref": f"mobile-{i + 1}",
                "msisdn": f"+92300{n}00000{i}",
                "holder_name": person,
                "holder_type": "individual",
                "subscriber_ref": ref,
            },
            is_demo=True,
        )


def _portal_request(applicant_user: User, noc: User, officer: Principal) -> None:
    applicant = Organisation.objects.get(name="Ravi Connect Pvt Ltd")
    isp = Organisation.objects.get(name="Indus Fibre Networks")
    filed = dt.date(2024, 6, 3)
    who = Principal.for_user(applicant_user)
    req = services.portal_request_create(
        principal=who,
        applicant=applicant,
        isp=isp,
        responsible_name="Demo Responsible Person",
        responsible_cnic="61101-0000099-9",
        addresses=PORTAL_ADDRESSES,
        purpose="Remote development for clients abroad (demo).",
        today=filed,
        is_demo=True,
    )
    for kind in PortalDocumentKind:
        services.portal_document_add(
            principal=who,
            request=req,
            kind=kind,
            upload=SimpleUploadedFile(f"{kind.value}.pdf", PDF, content_type="application/pdf"),
        )
    services.portal_request_submit(principal=who, request=req, today=filed)
    isp_member = Principal.for_user(noc)
    items = list(req.items.order_by("pk"))
    for item in items[:-1]:
        services.portal_item_verify(principal=isp_member, item=item, verdict=IspVerdict.CONFIRMED)
    services.portal_item_verify(
        principal=isp_member,
        item=items[-1],
        verdict=IspVerdict.DISPUTED,
        note="This number is not on the subscriber's account (demo).",
    )
    services.portal_request_decide(
        principal=officer,
        request=req,
        approve=[i.pk for i in items[:-1]],
        reason="Confirmed by the internet service provider (demo).",
    )


def load(*, people: Any) -> None:
    """Subscribers and endpoints for up to three active demo licences, and one portal request."""
    licences = list(
        Licence.objects.filter(is_demo=True, status=LicenceStatus.ACTIVE)
        .select_related("holder")
        .order_by("pk")[: len(BLOCKS)]
    )
    for n, licence in enumerate(licences):
        _licensee_data(people.admin, licence, n)
    applicant = people.applicant.user
    noc = User.objects.get(email="noc@demo.example")
    _portal_request(applicant, noc, people.officer)
