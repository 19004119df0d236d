"""`cvas demo` adds returns filed on time and late, returns due or late and missing, licences
expiring within 30 and 60 days and an open violation; a first `cvas tick` shows every case."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from cvas import demo
from cvas.compliance.choices import ReturnState, ViolationState
from cvas.compliance.models import Return, Violation
from cvas.compliance.selectors import obligations
from cvas.core.actors import Actor
from tests.compliance.conftest import on

pytestmark = pytest.mark.django_db
DEMO = [
    "Karakoram Link Pvt Ltd",
    "Sindh Shield Networks Pvt Ltd",
    "Chenab Data Pvt Ltd",
    "Potohar Net Pvt Ltd",
]


@pytest.mark.parametrize(
    ("day", "latest"),
    [(dt.date(2026, 10, 15), ReturnState.DUE), (dt.date(2026, 11, 23), ReturnState.LATE)],
)
def test_demo_data_and_a_first_tick_show_every_case(seeded: Any, day: dt.date, latest: str) -> None:
    with on(day):
        demo.load(actor=Actor.system("tests"))
        states = {
            (o.licence.holder.name, o.state)
            for o in obligations(today=day)
            if o.licence.holder.name in DEMO
        }
        assert ("Karakoram Link Pvt Ltd", ReturnState.FILED) in states
        assert ("Sindh Shield Networks Pvt Ltd", ReturnState.FILED_LATE) in states
        assert ("Sindh Shield Networks Pvt Ltd", ReturnState.MISSING) in states
        assert ("Sindh Shield Networks Pvt Ltd", latest) in states
        assert Return.objects.filter(current_version=2, is_demo=True).exists()
        (open_violation,) = Violation.objects.all()
        assert open_violation.state == ViolationState.SANCTION_PROPOSED

        out = StringIO()
        call_command("tick", stdout=out)
        text = out.getvalue()
        assert "Sindh Shield Networks Pvt Ltd" in text and "return missing" in text
        assert f"return {latest}" in text
        assert "licence expires within 30 days: Chenab Data Pvt Ltd" in text
        assert "licence expires within 60 days: Potohar Net Pvt Ltd" in text
        assert "warning(s) proposed for repeated late returns" in text
        assert Violation.objects.filter(
            is_automatic=True, licence__holder__name="Sindh Shield Networks Pvt Ltd"
        ).exists()

        again = StringIO()
        call_command("tick", stdout=again)
        assert "returns: 0 reminder(s) queued, 0 without a contact address" in again.getvalue()
        assert "0 warning(s) proposed" in again.getvalue()
        assert demo.load(actor=Actor.system("tests"))["created"] == []


def test_the_demo_pages_render(seeded: Any, client_for: Any) -> None:
    from cvas.accounts.models import User

    with on(dt.date(2026, 11, 23)):
        demo.load(actor=Actor.system("tests"))
        call_command("tick", stdout=StringIO())
        staff = client_for(User.objects.get(email="compliance@demo.example"))
        provider = client_for(User.objects.get(email="provider@demo.example"))
        for path in (
            "/staff/compliance/",
            "/staff/compliance/returns/",
            "/staff/compliance/violations/",
            "/staff/compliance/cost-model/",
            "/staff/compliance/reminders/",
        ):
            assert staff.get(path).status_code == 200, path
        for ret in Return.objects.all()[:3]:
            assert staff.get(f"/staff/compliance/returns/{ret.pk}/").status_code == 200
        for v in Violation.objects.all():
            assert staff.get(f"/staff/compliance/violations/{v.pk}/").status_code == 200
        assert provider.get("/portal/returns/").status_code == 200
        assert "Karakoram" in provider.get("/portal/returns/").content.decode()
