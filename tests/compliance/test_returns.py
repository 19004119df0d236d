"""Filing returns: validation with clear errors, conflicts, amendments that keep every version, and
the differences a return is flagged for (never refused)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from cvas.audit.models import AuditEvent
from cvas.compliance import registry_link, selectors, services
from cvas.compliance.models import Return, ReturnVersion
from cvas.core.errors import Conflict, InvalidInput, NotFound
from tests.compliance.conftest import figures, on, queued_mail
from tests.conftest import principal

pytestmark = pytest.mark.django_db
D = dt.date
Q1 = (D(2026, 1, 1), D(2026, 3, 31))
Q2 = (D(2026, 4, 1), D(2026, 6, 30))


@pytest.fixture
def licence(issue_licence: Any) -> Any:
    return issue_licence(D(2026, 1, 10))


def _file(world: Any, licence: Any, start: dt.date, end: dt.date, day: dt.date, **data: Any) -> Any:
    with on(day):
        return services.return_file(
            principal=principal(world["member_a"]),
            licence=licence,
            period_start=start,
            period_end=end,
            data=figures(**data),
        )


def test_a_filed_return_keeps_its_figures_and_deadline(world: Any, licence: Any) -> None:
    ret = _file(world, licence, *Q1, D(2026, 4, 12))
    assert (ret.period_start, ret.period_end, ret.due_on, ret.filed_late) == (
        *Q1,
        D(2026, 4, 30),
        False,
    )
    v = ret.versions.get()
    assert v.subscribers == {"bank": 4, "individual": 30, "it_company": 120}
    assert v.subscribers_total == 154
    assert v.flags == []
    assert AuditEvent.objects.filter(action="return.file", object_id=str(ret.pk)).exists()
    (receipt,) = queued_mail("return for 2026-Q1 received")
    assert receipt["recipients"] == ["a@provider-a.test", "contact@provider.test"]
    assert "was due by 30 April 2026" in receipt["body"]


def test_a_period_not_yet_over_cannot_be_filed(world: Any, licence: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        _file(world, licence, *Q1, D(2026, 3, 31))
    assert "not over yet" in err.value.message and "from 2026-04-01" in err.value.message
    assert Return.objects.count() == 0


def test_a_period_that_is_not_the_licences_is_refused_with_the_right_one(
    world: Any, licence: Any
) -> None:
    with pytest.raises(InvalidInput) as err:
        _file(world, licence, D(2026, 1, 15), D(2026, 3, 31), D(2026, 4, 12))
    assert (
        "the return period that contains 2026-01-15 is 2026-01-01 to 2026-03-31 (2026-Q1)"
        in err.value.message
    )
    with pytest.raises(InvalidInput) as err:
        _file(world, licence, D(2025, 10, 1), D(2025, 12, 31), D(2026, 4, 12))
    assert "not a return period of licence" in err.value.message


def test_bad_figures_are_all_named_by_field_and_nothing_is_filed(world: Any, licence: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        _file(
            world,
            licence,
            *Q1,
            D(2026, 4, 12),
            subscribers={"bank": -3, "students": 4},
            new_subscriptions="many",
            traffic_international_bytes=None,
            incidents=[
                {"date": "2026-05-01", "kind": "ddos", "description": "", "resolved": "maybe"}
            ],
        )
    reasons = {d["field"]: d["reason"] for d in err.value.details}
    assert (
        reasons["subscribers.bank"] == "-3 is negative; the number of subscribers must be 0 or more"
    )
    assert reasons["subscribers.students"].startswith("unknown category; one of it_company")
    assert reasons["new_subscriptions"] == "'many' is not a whole number"
    assert reasons["traffic_international_bytes"].startswith("required")
    assert (
        reasons["incidents[0].date"]
        == "2026-05-01 is outside the period (2026-01-01 to 2026-03-31)"
    )
    assert reasons["incidents[0].kind"].startswith("one of data_breach")
    assert reasons["incidents[0].description"] == "required: what happened"
    assert reasons["incidents[0].resolved"].startswith("required: yes or no")
    assert Return.objects.count() == 0 and ReturnVersion.objects.count() == 0


def test_a_second_filing_for_a_period_is_a_conflict(world: Any, licence: Any) -> None:
    _file(world, licence, *Q1, D(2026, 4, 12))
    with pytest.raises(Conflict) as err:
        _file(world, licence, *Q1, D(2026, 4, 13))
    assert err.value.code == "already_filed"
    assert "file an amendment" in err.value.message


def test_another_organisation_cannot_file_for_the_licence(world: Any, licence: Any) -> None:
    with on(D(2026, 4, 12)), pytest.raises(NotFound):
        services.return_file(
            principal=principal(world["member_b"]),
            licence=licence,
            period_start=Q1[0],
            period_end=Q1[1],
            data=figures(),
        )


def test_an_amendment_is_a_new_version_and_the_old_one_is_kept(world: Any, licence: Any) -> None:
    ret = _file(world, licence, *Q1, D(2026, 4, 12))
    with on(D(2026, 5, 20)):
        services.return_amend(
            principal=principal(world["member_a"]),
            periodic_return=ret,
            data=figures(traffic_international_bytes=4 * 10**12),
            reason="Meter fault corrected",
        )
    ret.refresh_from_db()
    assert ret.current_version == 2
    assert (
        not ret.filed_late
    )  # the first filing was on time; a later amendment does not change that
    v1, v2 = ret.versions.order_by("version")
    assert (v1.traffic_international_bytes, v1.amendment_reason) == (3 * 10**12, "")
    assert (v2.traffic_international_bytes, v2.amendment_reason) == (
        4 * 10**12,
        "Meter fault corrected",
    )
    assert v1.filed_at < v2.filed_at
    event = AuditEvent.objects.get(action="return.amend", object_id=str(ret.pk))
    assert event.before["version"]["traffic_international_bytes"] == 3 * 10**12
    assert event.after["version"]["traffic_international_bytes"] == 4 * 10**12


def test_an_amendment_needs_a_reason_and_a_change(world: Any, licence: Any) -> None:
    ret = _file(world, licence, *Q1, D(2026, 4, 12))
    p = principal(world["member_a"])
    with pytest.raises(InvalidInput, match="reason"):
        services.return_amend(principal=p, periodic_return=ret, data=figures(), reason=" ")
    with pytest.raises(InvalidInput, match="changes none of the figures"):
        services.return_amend(principal=p, periodic_return=ret, data=figures(), reason="again")
    assert ret.versions.count() == 1


def test_the_database_refuses_to_change_a_filed_version(world: Any, licence: Any) -> None:
    ret = _file(world, licence, *Q1, D(2026, 4, 12))
    version = ret.versions.get()
    version.traffic_international_bytes = 1
    with pytest.raises(Exception, match="never changed"), transaction.atomic():
        version.save()
    assert ret.versions.get().traffic_international_bytes == 3 * 10**12


def test_negative_figures_are_refused_by_the_database_too(world: Any, licence: Any) -> None:
    ret = _file(world, licence, *Q1, D(2026, 4, 12))
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnVersion.objects.create(
            periodic_return=ret, version=2, filed_by_label="x", via="api", new_subscriptions=-1
        )


def test_a_period_overlapping_a_filed_return_is_refused(world: Any, licence: Any) -> None:
    from cvas.licensing.models import Regime

    _file(world, licence, *Q1, D(2026, 4, 12))
    # Were the regime to switch to monthly returns, March would lie inside the filed Q1.
    Regime.objects.filter(code="cvas-data-2025").update(return_period="monthly")
    with pytest.raises(Conflict) as err:
        _file(world, licence, D(2026, 3, 1), D(2026, 3, 31), D(2026, 4, 12))
    assert err.value.code == "period_overlap"
    assert "overlaps the return already filed for 2026-01-01 to 2026-03-31" in err.value.message


def test_postgresql_refuses_overlapping_periods_itself(world: Any, licence: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("an exclusion constraint on PostgreSQL; SQLite relies on the service's check")
    ret = _file(world, licence, *Q1, D(2026, 4, 12))
    with pytest.raises(IntegrityError), transaction.atomic():
        Return.objects.create(
            licence=licence,
            period_start=D(2026, 3, 1),
            period_end=D(2026, 3, 31),
            due_on=D(2026, 4, 30),
            first_filed_at=ret.first_filed_at,
        )


def test_subscribers_of_a_category_the_regime_does_not_permit_are_flagged_not_refused(
    world: Any, issue_licence: Any
) -> None:
    from cvas.licensing.models import Licence

    licence = issue_licence(D(2026, 1, 10))
    # Move the licence into the commercial-only regime's time (Feb 2025) to report individuals then.
    Licence.objects.filter(pk=licence.pk).update(issued_on=D(2025, 2, 1))
    licence.refresh_from_db()
    ret = _file(world, licence, D(2025, 1, 1), D(2025, 3, 31), D(2025, 4, 10))
    (flag,) = ret.versions.get().flags
    assert flag["code"] == "category_not_permitted"
    assert flag["field"] == "subscribers.individual"
    assert "does not permit" in flag["message"]


def test_a_difference_from_the_subscriber_registry_is_flagged(
    world: Any, licence: Any, monkeypatch: Any
) -> None:
    calls: list[Any] = []

    def counts(*, licence_id: int, on: dt.date) -> dict[str, int]:
        calls.append((licence_id, on))
        return {"it_company": 120, "bank": 6}

    monkeypatch.setattr(services, "registry_subscriber_counts", counts)
    ret = _file(world, licence, *Q1, D(2026, 4, 12))
    assert calls == [(licence.pk, D(2026, 3, 31))]
    flags = {f["field"]: f["message"] for f in ret.versions.get().flags}
    staff = principal(world["compliance"])
    assert list(selectors.return_list_for(staff, flagged=True)) == [ret]
    assert list(selectors.return_list_for(staff, flagged=False)) == []
    assert flags == {
        "subscribers.bank": "4 reported; the subscriber registry holds 6 in service on 2026-03-31.",
        "subscribers.individual": "30 reported; the subscriber registry holds 0 in service on 2026-03-31.",
    }


def test_without_registry_data_there_is_nothing_to_compare(licence: Any) -> None:
    assert (
        registry_link.registry_subscriber_counts(licence_id=licence.pk, on=D(2026, 3, 31)) is None
    )


def test_figures_that_do_not_add_up_to_the_previous_return_are_flagged(
    world: Any, licence: Any
) -> None:
    _file(world, licence, *Q1, D(2026, 4, 12))  # 154 subscribers
    ret = _file(
        world,
        licence,
        *Q2,
        D(2026, 7, 10),
        subscribers={"it_company": 200},
        new_subscriptions=50,
        ended_subscriptions=10,
    )
    (flag,) = ret.versions.get().flags
    assert flag["code"] == "continuity"
    assert "previous return's 154 plus 50 new less 10 ended makes 194" in flag["message"]
