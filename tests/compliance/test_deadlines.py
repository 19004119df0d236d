"""Deadlines and `cvas tick`: a return is due, then late, then missing; each reminder is sent once,
however often the daily run is repeated or missed."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError

from cvas.compliance.choices import ReminderKind, ReminderOutcome, ReturnState
from cvas.compliance.models import Reminder
from cvas.compliance.selectors import obligations
from cvas.core.actors import Actor
from cvas.core.tick import run
from tests.compliance.conftest import on, queued_mail

pytestmark = pytest.mark.django_db
D = dt.date
Q1 = (D(2026, 1, 1), D(2026, 3, 31))
TICK = Actor.system("tests tick")


def tick(day: dt.date) -> list[Any]:
    with on(day):
        return run(actor=TICK, today=day)


def states(licence: Any, day: dt.date) -> dict[str, str]:
    return {
        o.period.label: o.state
        for o in obligations(today=day, licence_ids=[licence.pk], include_upcoming=True)
    }


def test_a_return_is_due_then_late_then_missing(issue_licence: Any, file_return: Any) -> None:
    licence = issue_licence(D(2026, 1, 10))
    assert states(licence, D(2026, 3, 31)) == {"2026-Q1": "upcoming"}
    assert states(licence, D(2026, 4, 1))["2026-Q1"] == "due"
    assert states(licence, D(2026, 4, 30))["2026-Q1"] == "due"  # the last day to file on time
    assert states(licence, D(2026, 5, 1))["2026-Q1"] == "late"
    assert states(licence, D(2026, 7, 30))["2026-Q1"] == "late"
    # Missing once the following period's deadline (Q2's, 30 July) has passed too.
    on_31_july = obligations(today=D(2026, 7, 31), licence_ids=[licence.pk])
    q1 = next(o for o in on_31_july if o.period.label == "2026-Q1")
    assert (q1.state, q1.period.due_on, q1.missing_from, q1.days_overdue) == (
        "missing",
        D(2026, 4, 30),
        D(2026, 7, 31),
        92,
    )
    file_return(licence, *Q1, day=D(2026, 8, 3))
    assert states(licence, D(2026, 8, 3)) == {
        "2026-Q1": "filed_late",
        "2026-Q2": "late",
        "2026-Q3": "upcoming",
    }


def test_a_return_filed_on_time_is_never_late(issue_licence: Any, file_return: Any) -> None:
    licence = issue_licence(D(2026, 1, 10))
    ret = file_return(licence, *Q1, day=D(2026, 4, 30))
    assert not ret.filed_late
    assert states(licence, D(2027, 1, 1))["2026-Q1"] == "filed"


def test_reminders_go_once_across_repeated_and_missed_ticks(issue_licence: Any) -> None:
    licence = issue_licence(D(2026, 1, 10))
    tick(D(2026, 4, 1))
    tick(D(2026, 4, 1))  # the same day again
    first = queued_mail("returns outstanding")
    assert len(first) == 1
    assert "2026-Q1 (2026-01-01 to 2026-03-31): due by 30 April 2026" in first[0]["body"]
    assert first[0]["recipients"] == ["a@provider-a.test", "contact@provider.test"]

    # Nine days missed: the next run still reminds of what changed, once.
    tick(D(2026, 5, 10))
    tick(D(2026, 5, 10))
    mails = queued_mail("returns outstanding")
    assert len(mails) == 2
    assert "LATE, it was due by 30 April 2026 (10 days ago)" in mails[1]["body"]

    # A whole quarter missed: Q1 is now missing and Q2 already late; Q2's "due" is superseded.
    tick(D(2026, 8, 2))
    tick(D(2026, 8, 2))
    tick(D(2026, 8, 3))
    mails = queued_mail("returns outstanding")
    assert len(mails) == 3
    assert "2026-Q1 (2026-01-01 to 2026-03-31): MISSING" in mails[2]["body"]
    assert "2026-Q2 (2026-04-01 to 2026-06-30): LATE" in mails[2]["body"]
    rows = {
        (r.kind, r.key): r.outcome
        for r in Reminder.objects.filter(licence=licence, kind__startswith="return_")
    }
    assert rows == {
        (ReminderKind.RETURN_DUE, "2026-01-01"): ReminderOutcome.SENT,
        (ReminderKind.RETURN_LATE, "2026-01-01"): ReminderOutcome.SENT,
        (ReminderKind.RETURN_MISSING, "2026-01-01"): ReminderOutcome.SENT,
        (ReminderKind.RETURN_DUE, "2026-04-01"): ReminderOutcome.SUPERSEDED,
        (ReminderKind.RETURN_LATE, "2026-04-01"): ReminderOutcome.SENT,
    }


def test_a_filed_return_is_not_reminded(issue_licence: Any, file_return: Any) -> None:
    licence = issue_licence(D(2026, 1, 10))
    tick(D(2026, 4, 2))
    file_return(licence, *Q1, day=D(2026, 4, 20))
    tick(D(2026, 5, 20))
    tick(D(2026, 6, 20))
    assert len(queued_mail("returns outstanding")) == 1
    assert not Reminder.objects.filter(licence=licence, kind=ReminderKind.RETURN_LATE).exists()


def test_licences_expiring_within_60_then_30_days_are_reminded_once_each(
    issue_licence: Any,
) -> None:
    licence = issue_licence(D(2026, 1, 10))
    Licence = type(licence)
    Licence.objects.filter(pk=licence.pk).update(expires_on=D(2026, 12, 31))
    tick(D(2026, 10, 31))  # 61 days left: not yet
    assert queued_mail("expires within") == []
    tick(D(2026, 11, 1))  # 60 days left
    tick(D(2026, 11, 1))
    assert [m["subject"] for m in queued_mail("expires within")] == [
        f"[CVAS Registry] licence {licence.number} expires within 60 days"
    ]
    tick(D(2026, 12, 5))  # skipped the 30-day mark by four days: still sent, once
    tick(D(2026, 12, 6))
    mails = queued_mail("expires within")
    assert len(mails) == 2
    assert "expires on 31 December 2026 (in 26 days)" in mails[1]["body"]


def test_a_first_run_inside_30_days_sends_the_30_day_reminder_only(issue_licence: Any) -> None:
    licence = issue_licence(D(2026, 1, 10))
    type(licence).objects.filter(pk=licence.pk).update(expires_on=D(2026, 12, 31))
    tick(D(2026, 12, 20))
    assert len(queued_mail("expires within")) == 1
    outcomes = dict(
        Reminder.objects.filter(licence=licence, kind__startswith="licence_").values_list(
            "kind", "outcome"
        )
    )
    assert outcomes == {
        ReminderKind.LICENCE_EXPIRING_30: ReminderOutcome.SENT,
        ReminderKind.LICENCE_EXPIRING_60: ReminderOutcome.SUPERSEDED,
    }


def test_the_database_refuses_a_second_reminder_for_one_event(issue_licence: Any) -> None:
    licence = issue_licence(D(2026, 1, 10))
    tick(D(2026, 4, 1))
    with pytest.raises(IntegrityError):
        Reminder.objects.create(
            kind=ReminderKind.RETURN_DUE,
            licence=licence,
            key="2026-01-01",
            outcome=ReminderOutcome.SENT,
            tick_day=D(2026, 4, 1),
        )


def test_a_licensee_without_a_contact_is_recorded_not_retried(
    issue_licence: Any, world: Any
) -> None:
    licence = issue_licence(D(2026, 1, 10))
    world["org_a"].contact_email = ""
    world["org_a"].save()
    world["org_a"].memberships.all().delete()
    tick(D(2026, 4, 1))
    tick(D(2026, 4, 2))
    assert queued_mail("returns outstanding") == []
    reminder = Reminder.objects.get(licence=licence)
    assert reminder.outcome == ReminderOutcome.NO_RECIPIENT


def test_cvas_tick_prints_each_step_and_is_quiet_the_second_time(issue_licence: Any) -> None:
    licence = issue_licence(D(2026, 1, 10))
    out = StringIO()
    with on(D(2026, 5, 2)):
        call_command("tick", stdout=out)
    text = out.getvalue()
    assert "tick 2026-05-02 (Asia/Karachi)" in text
    assert f"  return late: Provider A Pvt Ltd ({licence.number}), period from 2026-01-01\n" in text
    again = StringIO()
    with on(D(2026, 5, 2)):
        call_command("tick", stdout=again)
    assert (
        "returns: 0 reminder(s) queued, 0 without a contact address, 0 superseded"
        in again.getvalue()
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_mails_each_reminder_once(issue_licence: Any) -> None:
    issue_licence(D(2026, 1, 10))
    for day in (D(2026, 4, 1), D(2026, 4, 1), D(2026, 4, 3)):
        tick(day)
    with on(D(2026, 4, 3)):
        call_command("worker", "--batch", verbosity=0)
    reminders = [m for m in mail.outbox if "returns outstanding" in m.subject]
    assert len(reminders) == 1
    assert "due by 30 April 2026" in reminders[0].body


def test_obligations_cover_only_periods_in_which_the_licence_was_active(
    issue_licence: Any, world: Any
) -> None:
    from cvas.licensing import services as licensing
    from tests.conftest import principal

    licence = issue_licence(D(2026, 1, 10))
    officer = principal(world["officer"])
    with on(D(2026, 3, 20)):
        licensing.licence_suspend(principal=officer, licence=licence, reason="test")
    with on(D(2026, 7, 5)):
        licensing.licence_reinstate(principal=officer, licence=licence, reason="test")
    # Suspended from 20 March to 4 July: active in Q1 and Q3, never in Q2.
    labels = [o.period.label for o in obligations(today=D(2026, 10, 2), licence_ids=[licence.pk])]
    assert labels == ["2026-Q1", "2026-Q3"]
    assert obligations(today=D(2026, 10, 2), licence_ids=[licence.pk])[1].state == ReturnState.DUE
