"""Violations: a compliance officer records and proposes, a licensing officer decides; a suspension
goes through the licence workflow and shows on the public register. Repeated late returns propose
a warning by themselves, for an officer to confirm."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from cvas.compliance import services
from cvas.compliance.choices import Decision, Sanction, ViolationKind, ViolationState
from cvas.compliance.models import Violation
from cvas.core.actors import Actor
from cvas.core.errors import Forbidden, IllegalTransition, InvalidInput
from cvas.core.tick import run
from cvas.licensing.choices import LicenceStatus
from tests.compliance.conftest import on, queued_mail
from tests.conftest import principal

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def licence(issue_licence: Any) -> Any:
    return issue_licence(D(2026, 1, 10))


def _record(world: Any, licence: Any, **kw: Any) -> Violation:
    with on(D(2026, 6, 1)):
        return services.violation_record(
            principal=principal(world["compliance"]),
            licence=licence,
            kind=kw.pop("kind", ViolationKind.MISSING_RETURN),
            occurred_on=kw.pop("occurred_on", D(2026, 5, 1)),
            evidence=kw.pop("evidence", "No return for 2026-Q1."),
            **kw,
        )


def test_a_suspension_decided_by_the_licensing_officer_shows_on_the_public_register(
    world: Any, licence: Any
) -> None:
    v = _record(world, licence)
    assert v.state == ViolationState.OPEN and v.reference.startswith("VIO-2026-")
    with on(D(2026, 6, 2)):
        services.violation_propose(
            principal=principal(world["compliance"]),
            violation=v,
            sanction=Sanction.SUSPENSION,
            reason="Second missing return",
        )
    with on(D(2026, 6, 3)):
        services.violation_decide(
            principal=principal(world["officer"]),
            violation=v,
            decision=Decision.IMPOSE,
            reason="Suspended until the returns are filed",
        )
    v.refresh_from_db()
    assert v.state == ViolationState.SANCTIONED
    assert [e.to_state for e in v.events.all()] == ["open", "sanction_proposed", "sanctioned"]
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.SUSPENDED
    event = licence.events.last()
    assert (event.action, event.effective_on) == ("suspend", D(2026, 6, 3))
    assert v.reference in event.reason
    body = Client().get("/api/v1/register/licences", {"q": "Falcon"}).json()
    assert [(x["number"], x["status"]) for x in body["items"]] == [(licence.number, "suspended")]
    verify = Client().get("/api/v1/verify", {"brand": "Falcon Shield VPN"}).json()
    assert verify["licensed"] is False and verify["status"] == "suspended"


def test_if_the_licence_cannot_be_suspended_nothing_is_decided(world: Any, licence: Any) -> None:
    from cvas.licensing import services as licensing

    v = _record(world, licence, sanction=Sanction.SUSPENSION, reason="missing returns")
    with on(D(2026, 6, 2)):
        licensing.licence_revoke(principal=principal(world["officer"]), licence=licence, reason="x")
    with on(D(2026, 6, 3)), pytest.raises(IllegalTransition):
        services.violation_decide(
            principal=principal(world["officer"]), violation=v, decision=Decision.IMPOSE, reason="y"
        )
    v.refresh_from_db()
    assert v.state == ViolationState.SANCTION_PROPOSED and v.decision == ""


def test_a_fine_is_decided_and_the_licensee_is_told(world: Any, licence: Any) -> None:
    v = _record(world, licence, sanction=Sanction.FINE, fine_amount_pkr="250,000", reason="late")
    assert v.state == ViolationState.SANCTION_PROPOSED and str(v.fine_amount_pkr) == "250000.00"
    with on(D(2026, 6, 3)):
        services.violation_decide(
            principal=principal(world["officer"]),
            violation=v,
            decision=Decision.IMPOSE,
            reason="ok",
        )
    (mail,) = queued_mail("a fine of PKR 250,000.00")
    assert "a@provider-a.test" in mail["recipients"]
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ACTIVE


def test_roles_record_propose_and_decide_each_their_part(world: Any, licence: Any) -> None:
    with pytest.raises(Forbidden):
        services.violation_record(
            principal=principal(world["officer"]),
            licence=licence,
            kind="other",
            occurred_on=D(2026, 1, 20),
            evidence="x",
        )
    v = _record(world, licence, sanction=Sanction.WARNING, reason="first")
    for who in ("compliance", "auditor", "admin"):
        with pytest.raises(Forbidden):
            services.violation_decide(
                principal=principal(world[who]), violation=v, decision=Decision.IMPOSE, reason="x"
            )
    with pytest.raises(Forbidden):
        services.violation_dismiss(principal=principal(world["auditor"]), violation=v, reason="x")
    v.refresh_from_db()
    assert v.state == ViolationState.SANCTION_PROPOSED


def test_bad_violation_input_is_refused_by_field(world: Any, licence: Any) -> None:
    with pytest.raises(InvalidInput, match="fine_amount_pkr"):
        _record(world, licence, sanction=Sanction.FINE, fine_amount_pkr="0")
    with pytest.raises(InvalidInput, match="occurred_on"):
        _record(world, licence, occurred_on=D(2026, 7, 1))
    with pytest.raises(InvalidInput, match="evidence"):
        _record(world, licence, evidence="  ")
    with pytest.raises(InvalidInput, match="fine_amount_pkr: only a fine"):
        _record(world, licence, sanction=Sanction.WARNING, fine_amount_pkr="10")
    assert not Violation.objects.exists()


def test_the_database_holds_a_fine_amount_only_for_fines(world: Any, licence: Any) -> None:
    v = _record(world, licence, sanction=Sanction.WARNING, reason="first")
    with pytest.raises(IntegrityError), transaction.atomic():
        Violation.objects.filter(pk=v.pk).update(fine_amount_pkr=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Violation.objects.filter(pk=v.pk).update(proposed_sanction=Sanction.FINE)


def test_repeated_late_returns_propose_a_warning_once_for_an_officer_to_confirm(
    world: Any, licence: Any, file_return: Any
) -> None:
    actor = Actor.system("tests tick")
    file_return(licence, D(2026, 1, 1), D(2026, 3, 31), day=D(2026, 5, 5))  # late
    with on(D(2026, 5, 6)):
        run(actor=actor, today=D(2026, 5, 6))
    assert not Violation.objects.filter(
        licence=licence
    ).exists()  # one late return is not yet a pattern
    with on(D(2026, 8, 1)):  # Q2 is now late too
        run(actor=actor, today=D(2026, 8, 1))
        run(actor=actor, today=D(2026, 8, 1))
    (v,) = Violation.objects.filter(licence=licence)
    assert (v.state, v.proposed_sanction, v.is_automatic, v.kind) == (
        ViolationState.AWAITING_CONFIRMATION,
        Sanction.WARNING,
        True,
        ViolationKind.REPEATED_LATE_RETURNS,
    )
    assert "2026-Q1 (filed late), 2026-Q2 (late)" in v.evidence
    assert v.details == {"periods": ["2026-01-01", "2026-04-01"]}
    assert queued_mail(f"{v.reference}: warning proposed")[0]["recipients"] == [
        "compliance@regulator.test"
    ]
    with on(D(2026, 8, 20)):  # the same late periods never propose again
        run(actor=actor, today=D(2026, 8, 20))
    assert Violation.objects.filter(licence=licence).count() == 1
    with on(D(2026, 8, 21)):
        services.violation_confirm(principal=principal(world["compliance"]), violation=v)
        services.violation_decide(
            principal=principal(world["officer"]),
            violation=v,
            decision=Decision.IMPOSE,
            reason="Warning issued",
        )
    v.refresh_from_db()
    assert [e.to_state for e in v.events.all()] == [
        "awaiting_confirmation",
        "sanction_proposed",
        "sanctioned",
    ]
    assert queued_mail("a warning")
    with on(D(2026, 11, 2)):  # Q3 late as well: a new late period, a new proposal
        run(actor=actor, today=D(2026, 11, 2))
    assert Violation.objects.filter(licence=licence).count() == 2


def test_a_proposal_can_be_dismissed_with_a_reason(world: Any, licence: Any) -> None:
    v = _record(world, licence)
    with pytest.raises(InvalidInput):
        services.violation_dismiss(principal=principal(world["compliance"]), violation=v, reason="")
    services.violation_dismiss(
        principal=principal(world["compliance"]),
        violation=v,
        reason="Filed with the paper register",
    )
    v.refresh_from_db()
    assert v.state == ViolationState.DISMISSED
    with pytest.raises(IllegalTransition):
        services.violation_confirm(principal=principal(world["compliance"]), violation=v)
