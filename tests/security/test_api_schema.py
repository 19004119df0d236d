"""Schemathesis against /api/v1/openapi.json: every operation, called with a valid API key on
generated input (a bounded number of examples), never answers with a server error, and answers
only with a status, content type and body that its schema documents. The operations linked in the
schema (a created record and its reads) are also run as a state machine.

Each call runs in a transaction that is rolled back, so that generated calls never revoke the key
they are made with or otherwise change what the next one finds. The number of examples is
CVAS_SCHEMATHESIS_EXAMPLES (default 6 per operation and way of choosing its path; derandomized, so a
failure reproduces; with 60 it passes too, in about three minutes).
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import api_key_for
from tests.security.doors import Doors, build

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("CVAS_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# Path parameters naming organisation A's records: half the examples reach a real record.
PATH_IDS = {
    "application_id": "app",
    "document_id": "doc",
    "licence_id": "licence",
    "organisation_id": "org",
    "key_id": "key",
    "job_id": "job",
    "subscriber_id": "subscriber",
    "handle": "handle",
    "import_id": "import",
    "request_id": "portal",
    "item_id": "item",
    "return_id": "return",
    "violation_id": "violation",
    "number": "number",
}


@pytest.fixture(autouse=True)
def _keep_the_test_s_connection() -> Any:
    """The WSGI handler closes the database connection after each request, which would end the
    test's transaction; Django's own test client disconnects that the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def doors(world: dict[str, Any], complete_application: Any) -> Doors:
    return build(world, complete_application)


def _headers(doors: Doors, who: str) -> dict[str, str]:
    org = doors.world["org_a"] if who == "member_a" else None
    _, token = api_key_for(doors.world[who], org, ["read", "write", "lookup"])
    return {"Authorization": f"Bearer {token}"}


def _fixed_paths(operation: Any, ids: dict[str, Any]) -> dict[str, Any] | None:
    names = [p.name for p in operation.path_parameters]
    if not names or any(
        n not in PATH_IDS and n not in ("action", "fmt", "key", "address") for n in names
    ):
        return None
    fixed = {n: ids[PATH_IDS[n]] for n in names if n in PATH_IDS}
    return fixed if len(fixed) == len(names) else None


@pytest.mark.parametrize("who", ["member_a", "officer"])
def test_every_operation_answers_as_its_schema_says_and_never_with_a_server_error(
    who: str, doors: Doors
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    headers = _headers(doors, who)
    failures: list[str] = []
    count = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = [operation.as_strategy()]
        fixed = _fixed_paths(operation, doors.ids)
        if fixed is not None:
            strategies.append(operation.as_strategy(path_parameters=fixed))
        for strategy in strategies:

            @SETTINGS
            @given(case=strategy)
            def call(case: Any) -> None:
                with transaction.atomic():
                    case.call_and_validate(headers=headers, checks=CHECKS)
                    transaction.set_rollback(True)

            count += 1
            try:
                call()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # every operation's failures, not just the first's
                failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert count > 60, "the schema lists the API's operations"
    assert failures == [], "\n\n".join(failures)


def test_records_followed_through_the_schema_s_links_answer_as_documented(doors: Doors) -> None:
    """The state machine: create a record, then follow its links (reads, actions) with the key."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    headers = _headers(doors, "member_a")
    seen: list[tuple[str, int]] = []
    licence = str(doors.ids["licence"])
    REAL = {
        "POST /api/v1/applications": {"organisation_id": doors.ids["org"]},
        "POST /api/v1/subscribers": {
            "licence": licence,
            "subscriber_type": "organisation",
            "category": "bank",
            "name": "Fuzzed Bank Ltd",
            "ntn": "7654321-0",
            "cnic": None,
            "start_date": "2026-03-01",
            "end_date": None,
        },
        "POST /api/v1/endpoints": {
            "licence": licence,
            "prefix": "39.32.204.0/24",
            "msisdn": None,
            "holder_name": "Fuzzed Bank Ltd",
            "holder_type": "organisation",
            "subscriber_ref": None,
            "delegated_from": None,
        },
    }

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self._scenario = transaction.atomic()
            self._scenario.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._scenario.__exit__(None, None, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def before_call(self, case: Any) -> None:
            # Creations name organisation A's own records, so that most of them succeed and
            # their links are followed (generated identifiers would nearly always be unknown).
            if isinstance(case.body, dict):
                case.body.update(REAL.get(case.operation.label, {}))

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            seen.append((case.operation.label, response.status_code))
            case.validate_response(response, checks=CHECKS)

    Scenarios.run(
        settings=hypothesis.settings(
            max_examples=25,
            stateful_step_count=10,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    created = {label for label, status in seen if status in (201, 202)}
    followed = {label for label, status in seen if "{" in label and status == 200}
    assert created and followed, f"no record was created and then followed: {sorted(set(seen))}"
