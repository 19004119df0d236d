"""Licence numbers under concurrent approvals: unique, gapless within a year, never reused."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from cvas.audit.selectors import audit_verify
from cvas.licensing import services
from cvas.licensing.models import Application, Licence
from tests.conftest import principal

N = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_get_distinct_sequential_numbers_and_one_unbroken_audit_chain(
    world: dict[str, Any], complete_application: Any, make_org: Any, make_user: Any
) -> None:
    apps: list[Application] = []
    for i in range(N):
        user = make_user(f"applicant{i}@concurrent.test")
        org = make_org(f"Concurrent {i} Pvt Ltd", managers=(user,))
        app = complete_application(org=org, user=user, brands=[{"name": f"Parallel VPN {i}"}])
        services.application_submit(principal=principal(user), application=app)
        services.application_take(principal=principal(world["officer"]), application=app)
        apps.append(app)

    barrier = threading.Barrier(N)
    errors: list[BaseException] = []

    def approve(app: Application) -> None:
        try:
            barrier.wait(timeout=30)
            services.application_approve(
                principal=principal(world["officer"]), application=app, reason="ok"
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    numbers = sorted(Licence.objects.filter(application__in=apps).values_list("number", flat=True))
    assert len(numbers) == N == len(set(numbers))
    year = numbers[0].split("/")[1]
    assert numbers == [f"CVAS-DATA/{year}/{i:04d}" for i in range(1, N + 1)]
    assert audit_verify().ok


@pytest.mark.django_db
def test_numbers_are_never_reused_after_a_revocation(
    world: dict[str, Any], complete_application: Any
) -> None:
    first = complete_application(brands=[{"name": "First VPN"}])
    services.application_submit(principal=principal(world["member_a"]), application=first)
    services.application_take(principal=principal(world["officer"]), application=first)
    lic1 = services.application_approve(
        principal=principal(world["officer"]), application=first, reason="ok"
    )
    services.licence_revoke(principal=principal(world["officer"]), licence=lic1, reason="breach")
    second = complete_application(
        brands=[{"name": "Second VPN"}], org=world["org_b"], user=world["member_b"]
    )
    services.application_submit(principal=principal(world["member_b"]), application=second)
    services.application_take(principal=principal(world["officer"]), application=second)
    lic2 = services.application_approve(
        principal=principal(world["officer"]), application=second, reason="ok"
    )
    assert lic2.number != lic1.number
    assert int(lic2.number.rsplit("/", 1)[1]) == int(lic1.number.rsplit("/", 1)[1]) + 1
