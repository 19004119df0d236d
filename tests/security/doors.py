"""The records that the authorization matrix opens doors to: organisation A owns one of each kind
(a draft application with documents, a licence, a subscriber, an endpoint registration, an import,
a legacy-portal request, a filed return, a violation, an API key); B and the network operator own
nothing of A's. Made through the real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from unittest import mock

import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cvas.accounts.models import ApiKey, Membership
from cvas.accounts.signup import verification_token
from cvas.compliance import selectors as compliance_selectors
from cvas.compliance import services as compliance
from cvas.compliance.models import CostParameter
from cvas.core.timeutil import PAKISTAN
from cvas.jobs.services import notify
from cvas.licensing import services as licensing
from cvas.licensing.models import Licence, Regime
from cvas.registry import api as registry_api
from cvas.registry import services as registry
from tests.conftest import SYSTEM, api_key_for, pdf_upload, principal

ROLES = (
    "anonymous",
    "member_a",
    "member_b",
    "operator",
    "officer",
    "compliance",
    "admin",
    "auditor",
)
STAFF = frozenset({"officer", "compliance", "admin", "auditor"})
MEMBERS = frozenset({"member_a", "member_b", "operator"})
SCOPES = ("read", "write", "lookup")
ORG_OF = {"member_a": "org_a", "member_b": "org_b", "operator": "isp"}


@dataclass
class Doors:
    world: dict[str, Any]
    ids: dict[str, Any]
    keys: dict[tuple[str, str], str]  # (role, scope) -> token


def _figures() -> dict[str, Any]:
    return {
        "subscribers": {"it_company": 12, "bank": 1},
        "new_subscriptions": 13,
        "ended_subscriptions": 0,
        "traffic_domestic_bytes": 10**12,
        "traffic_international_bytes": 10**11,
        "gateway_locations": ["Karachi (KHI-1)"],
        "incidents": [],
    }


def build(world: dict[str, Any], complete_application: Any) -> Doors:
    w = world
    a = principal(w["member_a"])
    officer = principal(w["officer"])
    issued_on = dt.datetime(2026, 1, 10, 12, tzinfo=PAKISTAN)
    with time_machine.travel(issued_on, tick=False):
        first = complete_application()
        licensing.application_submit(principal=a, application=first)
        licensing.application_take(principal=officer, application=first)
        licence = licensing.application_approve(principal=officer, application=first, reason="ok")
    draft = complete_application(
        brands=[{"name": "Door Test VPN", "websites": ["doortest.example"]}]
    )
    document = draft.documents.first()

    subscriber, _ = registry.subscriber_save(
        principal=a,
        licence=licence,
        data={
            "ref": "S-DOOR",
            "subscriber_type": "organisation",
            "category": "bank",
            "name": "Door Bank Ltd",
            "ntn": "1234567-8",
            "start_date": "2026-02-01",
        },
    )
    endpoint, _ = registry.endpoint_save(
        principal=a,
        licence=licence,
        data={
            "ref": "EP-DOOR",
            "prefix": "39.32.200.0/24",
            "holder_name": "Door Bank Ltd",
            "holder_type": "organisation",
        },
    )
    run = registry.import_start(principal=a, licence=licence, kind="endpoints", name="doors.csv")
    in_2024 = dt.date(2024, 6, 1)
    with (
        mock.patch.object(registry, "pk_today", lambda: in_2024),
        mock.patch.object(registry_api, "pk_today", lambda: in_2024),
    ):
        portal = registry.portal_request_create(
            principal=a,
            applicant=w["org_a"],
            isp=w["isp"],
            responsible_name="Ayesha Khan",
            responsible_cnic="35202-1234567-1",
            addresses=["39.32.201.1"],
        )
        registry.portal_document_add(
            principal=a, request=portal, kind="business_proof", upload=pdf_upload()
        )
    item = portal.items.first()

    today = dt.date(2026, 11, 23)
    period = compliance_selectors.open_periods(licence, today=today)[0]
    ret = compliance.return_file(
        principal=a,
        licence=licence,
        period_start=period.period.start,
        period_end=period.period.end,
        data=_figures(),
    )
    violation = compliance.violation_record(
        principal=principal(w["compliance"]),
        licence=licence,
        kind="late_return",
        occurred_on=dt.date(2026, 5, 1),
        evidence="A late return (matrix test).",
    )

    try:  # the published exports of issue 4, where they have landed
        from cvas.lookup.services import publish_exports

        publish_exports(actor=SYSTEM, formats=["csv"])
    except ImportError:
        pass

    keys: dict[tuple[str, str], str] = {}
    for role in ROLES[1:]:
        org = w[ORG_OF[role]] if role in ORG_OF else None
        for scope in SCOPES:
            keys[(role, scope)] = api_key_for(w[role], org, [scope])[1]
    spare, _ = api_key_for(w["member_a"], w["org_a"], ["read"])
    user = w["member_a"]
    ids = {
        "org": w["org_a"].pk,
        "app": draft.pk,
        "doc": document.pk,
        "licence": licence.pk,
        "number": (licence.number or "").replace("/", "-"),
        "token": licence.verification_token,
        "subscriber": subscriber.pk,
        "handle": endpoint.handle,
        "import": run.pk,
        "portal": portal.pk,
        "item": item.pk,
        "return": ret.pk,
        "violation": violation.pk,
        "key": spare.pk,
        "membership": Membership.objects.get(user=user, organisation=w["org_a"]).pk,
        "user": w["member_b"].pk,
        "officer": w["officer"].pk,
        "regime": Regime.objects.order_by("effective_from").first().code,  # type: ignore[union-attr]
        "cost_key": CostParameter.objects.order_by("key").first().key,  # type: ignore[union-attr]
        "job": notify(recipients=["a@example.test"], subject="s", body="b"),
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "reset_token": default_token_generator.make_token(user),
        "verify_token": verification_token(user),
        "licence_count": Licence.objects.count(),
        "key_count": ApiKey.objects.count(),
    }
    return Doors(world=w, ids=ids, keys=keys)
