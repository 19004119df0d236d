"""The application workflow from draft to licence, every legal and illegal move."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from cvas.core.errors import IllegalTransition, InvalidInput, NotFound
from cvas.licensing import services
from cvas.licensing.choices import ApplicationState as S
from cvas.licensing.choices import LicenceStatus
from cvas.licensing.models import Licence
from tests.conftest import principal

pytestmark = pytest.mark.django_db


def test_full_journey_issues_a_numbered_licence_and_records_every_step(
    world: dict[str, Any], complete_application: Any
) -> None:
    app = complete_application()
    applicant, officer = principal(world["member_a"]), principal(world["officer"])
    services.application_submit(principal=applicant, application=app)
    services.application_take(principal=officer, application=app)
    services.application_request_information(
        principal=officer, application=app, reason="Send the gateway locations."
    )
    services.application_respond(
        principal=applicant, application=app, response="Karachi and Lahore data centres."
    )
    services.application_take(principal=officer, application=app)
    licence = services.application_approve(
        principal=officer, application=app, reason="Meets all conditions."
    )

    app.refresh_from_db()
    assert app.state == S.APPROVED
    assert [t.to_state for t in app.transitions.all()] == [
        S.DRAFT,
        S.SUBMITTED,
        S.UNDER_REVIEW,
        S.INFORMATION_REQUESTED,
        S.RESUBMITTED,
        S.UNDER_REVIEW,
        S.APPROVED,
    ]
    assert all(t.actor_label for t in app.transitions.all())
    assert (
        app.transitions.get(to_state=S.INFORMATION_REQUESTED).reason
        == "Send the gateway locations."
    )
    assert licence.number is not None and licence.number.startswith("CVAS-DATA/")
    assert licence.status == LicenceStatus.ACTIVE
    assert licence.regime.code == "cvas-data-2025"
    assert (licence.expires_on.year - licence.issued_on.year) == 15
    assert [b.name for b in licence.brands.all()] == ["Falcon Shield VPN"]


@pytest.mark.django_db(transaction=True)
def test_each_decision_is_mailed_to_the_applicant_by_the_worker(
    world: dict[str, Any], complete_application: Any
) -> None:
    app = complete_application()
    services.application_submit(principal=principal(world["member_a"]), application=app)
    services.application_take(principal=principal(world["officer"]), application=app)
    services.application_reject(
        principal=principal(world["officer"]), application=app, reason="Incomplete security policy."
    )
    assert mail.outbox == []  # queued, not sent inline
    call_command("worker", "--batch", verbosity=0)
    subjects = [m.subject for m in mail.outbox]
    assert any("application received" in s for s in subjects)
    rejected = [m for m in mail.outbox if "rejected" in m.subject]
    assert len(rejected) == 1
    assert "Incomplete security policy." in rejected[0].body
    assert world["member_a"].email in rejected[0].to


def test_submit_refuses_an_incomplete_application_naming_what_is_missing(
    world: dict[str, Any],
) -> None:
    app = services.application_create(
        principal=principal(world["member_a"]), organisation=world["org_a"], data={}
    )
    with pytest.raises(InvalidInput) as err:
        services.application_submit(principal=principal(world["member_a"]), application=app)
    fields = {d["field"] for d in err.value.details}
    assert {
        "service_description",
        "brands",
        "gateway_prefixes",
        "fee_payment_reference",
        "documents.incorporation_certificate",
    } <= fields
    app.refresh_from_db()
    assert app.state == S.DRAFT


@pytest.mark.parametrize(
    ("state_path", "move"),
    [
        ([], "take"),  # a draft cannot be taken under review
        ([], "approve"),
        (["submit"], "approve"),  # must be under review first
        (["submit"], "respond"),
        (["submit", "take"], "submit"),
        (["submit", "take", "reject"], "withdraw"),  # decided: too late to withdraw
        (["submit", "take", "reject"], "take"),
        (["submit", "withdraw"], "submit"),
        (["submit", "take", "ask"], "approve"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(
    world: dict[str, Any], complete_application: Any, state_path: list[str], move: str
) -> None:
    app = complete_application()
    applicant, officer = principal(world["member_a"]), principal(world["officer"])
    steps = {
        "submit": lambda: services.application_submit(principal=applicant, application=app),
        "take": lambda: services.application_take(principal=officer, application=app),
        "ask": lambda: services.application_request_information(
            principal=officer, application=app, reason="Why?"
        ),
        "respond": lambda: services.application_respond(
            principal=applicant, application=app, response="Because."
        ),
        "approve": lambda: services.application_approve(
            principal=officer, application=app, reason="ok"
        ),
        "reject": lambda: services.application_reject(
            principal=officer, application=app, reason="no"
        ),
        "withdraw": lambda: services.application_withdraw(
            principal=applicant, application=app, reason="changed our mind"
        ),
    }
    for step in state_path:
        steps[step]()
    app.refresh_from_db()
    before = (app.state, app.transitions.count())
    with pytest.raises(IllegalTransition) as err:
        steps[move]()
    assert app.reference in err.value.message
    app.refresh_from_db()
    assert (app.state, app.transitions.count()) == before
    assert not Licence.objects.filter(application=app).exists()


@pytest.mark.parametrize("path", [[], ["submit"], ["submit", "take"], ["submit", "take", "ask"]])
def test_withdrawal_is_allowed_at_any_point_before_a_decision(
    world: dict[str, Any], complete_application: Any, path: list[str]
) -> None:
    app = complete_application()
    applicant, officer = principal(world["member_a"]), principal(world["officer"])
    for step in path:
        {
            "submit": lambda: services.application_submit(principal=applicant, application=app),
            "take": lambda: services.application_take(principal=officer, application=app),
            "ask": lambda: services.application_request_information(
                principal=officer, application=app, reason="?"
            ),
        }[step]()
    services.application_withdraw(principal=applicant, application=app, reason="No longer needed")
    app.refresh_from_db()
    assert app.state == S.WITHDRAWN
    assert app.transitions.last().reason == "No longer needed"


def test_decisions_need_a_reason(world: dict[str, Any], complete_application: Any) -> None:
    app = complete_application()
    services.application_submit(principal=principal(world["member_a"]), application=app)
    services.application_take(principal=principal(world["officer"]), application=app)
    for decide in (
        services.application_approve,
        services.application_reject,
        services.application_request_information,
    ):
        with pytest.raises(InvalidInput, match="reason"):
            decide(principal=principal(world["officer"]), application=app, reason="   ")
    app.refresh_from_db()
    assert app.state == S.UNDER_REVIEW


def test_only_a_licensing_officer_decides(world: dict[str, Any], complete_application: Any) -> None:
    from cvas.core.errors import Forbidden

    app = complete_application()
    services.application_submit(principal=principal(world["member_a"]), application=app)
    for who in ("member_a", "compliance", "admin", "auditor", "operator"):
        with pytest.raises(Forbidden):
            services.application_take(principal=principal(world[who]), application=app)


def test_another_organisation_cannot_touch_the_application(
    world: dict[str, Any], complete_application: Any
) -> None:
    app = complete_application()
    other = principal(world["member_b"])
    with pytest.raises(NotFound):
        services.application_update(
            principal=other, application=app, data={"service_description": "hijacked"}
        )
    with pytest.raises(NotFound):
        services.application_submit(principal=other, application=app)
    with pytest.raises(NotFound):
        services.application_withdraw(principal=other, application=app)


def test_applications_cannot_be_submitted_with_a_brand_of_another_provider(
    world: dict[str, Any], complete_application: Any
) -> None:
    from cvas.core.errors import Conflict

    app = complete_application(brands=[{"name": "Crest VPN"}])
    with pytest.raises(Conflict, match="Crest VPN"):
        services.application_submit(principal=principal(world["member_a"]), application=app)


def test_validation_names_the_field_and_reason(world: dict[str, Any]) -> None:
    p = principal(world["member_a"])
    cases = [
        ({"gateway_prefixes": ["39.32.0.1/24"]}, "host bits set; did you mean 39.32.0.0/24?"),
        ({"gateway_prefixes": ["10.0.0.0/8"]}, "private"),
        ({"gateway_prefixes": ["192.0.2.0/24"]}, "documentation"),
        ({"gateway_prefixes": ["::ffff:1.2.3.4"]}, "IPv4-mapped"),
        ({"gateway_prefixes": ["not-an-ip"]}, "not an IPv4 or IPv6"),
        ({"brands": [{"name": "X VPN", "websites": ["not a domain"]}]}, "not a web address"),
        ({"declarations": {"made_up": True}}, "unknown"),
        ({"colour": "green"}, "not a field"),
    ]
    for data, reason in cases:
        with pytest.raises(InvalidInput) as err:
            services.application_create(principal=p, organisation=world["org_a"], data=data)
        assert reason in err.value.message, (data, err.value.message)
