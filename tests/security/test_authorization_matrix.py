"""The authorization matrix: every URL pattern the resolver knows × every method × every role
(anonymous, a member of organisation A, of organisation B, a network operator, a licensing officer,
a compliance officer, an administrator, an auditor) × every credential (a signed-in session, and an
API key of each scope). Each answer must be the one `tests/security/rules.py` lists: another
organisation's records answer 404, and a response carries no field outside what its operation
documents and the caller's role may see. A URL pattern missing from the rules fails the test.

Each request runs in a transaction that is rolled back, so one door's write does not change what
the next door finds. The test runs once per role, building the records once for all its requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cvas.config.api import api
from tests.conftest import PDF
from tests.core.test_security_headers import csp_problems
from tests.security.doors import ROLES, SCOPES, Doors, build
from tests.security.rules import RULES, Caller, Rule, either, fixed

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A method a route does not serve is refused (405) before any authentication, by django-ninja for
# the API and by cvas.core.security.PageMethodsMiddleware for the pages: those answers are checked
# for the anonymous and for a signed-in member, not again for every role and key.
METHOD_ROLES = ("anonymous", "member_a")
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


# -- the URL patterns ------------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def routes() -> dict[str, set[str] | None]:
    """route -> the methods django-ninja serves there (None for a page: any method reaches it)."""
    found: dict[str, set[str] | None] = {}
    for raw, pattern in _walk(get_resolver().url_patterns):
        route = PARAM.sub(r"{\1}", raw)
        path_view = None
        for cell in getattr(pattern.callback, "__closure__", None) or ():
            if hasattr(cell.cell_contents, "operations"):
                path_view = cell.cell_contents
        if path_view is not None:
            methods = found.get(route) or set()
            for operation in path_view.operations:
                methods |= set(operation.methods)
            found[route] = methods
        else:
            found.setdefault(route, None)
    return found


def expected(route: str, methods: set[str] | None, method: str) -> Rule | None:
    rule = RULES.get(f"{method} {route}")
    if rule is not None:
        return rule
    if methods is not None:  # the API: a method it does not serve
        return fixed(405)
    listed_get = RULES.get(f"GET {route}")
    if route.startswith("api/") and listed_get is not None:  # the schema, the docs, the API's root
        return either(fixed(404), fixed(405), listed_get)
    if method in ("PUT", "PATCH", "DELETE"):
        return fixed(405)
    listed = [RULES[f"{m} {route}"] for m in ("GET", "POST") if f"{m} {route}" in RULES]
    return either(fixed(405), *listed) if listed else None


def test_every_url_pattern_and_method_is_in_the_matrix() -> None:
    missing = []
    for route, methods in routes().items():
        wanted = methods if methods is not None else {"GET", "POST"}
        listed = [m for m in wanted if f"{m} {route}" in RULES]
        if methods is not None:
            missing += [f"{m} {route}" for m in sorted(wanted) if m not in listed]
        elif not listed:
            missing.append(f"GET|POST {route}")
    assert missing == [], "list these in tests/security/rules.py: " + ", ".join(missing)
    known = {f"{m} {r}" for r, ms in routes().items() for m in (ms or {"GET", "POST"})}
    assert sorted(set(RULES) - known) == [], "rules for URL patterns that no longer exist"


# -- concrete addresses and bodies ------------------------------------------------------------------

PK_BY_PREFIX = [
    ("portal/organisations/", "org"),
    ("portal/applications/", "app"),
    ("portal/licences/", "licence"),
    ("portal/returns/", "return"),
    ("staff/applications/", "app"),
    ("staff/licences/", "licence"),
    ("staff/users/", "user"),
    ("staff/compliance/returns/", "return"),
    ("staff/compliance/violations/", "violation"),
    ("registry/portal/", "portal"),
    ("registry/imports/", "import"),
    ("register/id/", "licence"),
]
PARAMS = {
    "application_id": "app",
    "document_id": "doc",
    "doc_id": "doc",
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
    "membership_id": "membership",
    "number": "number",
    "code": "regime",
    "uidb64": "uid",
}
FIXED = {
    "action": "suspend",
    "step": "service",
    "query": "39.32.200.1",
    "rest": "domain/x.example",
    "address": "39.32.200.1",
    "handle": None,
    "fmt": "csv",
}


QUERIES = {
    "api/v1/changes": "since=0",
    "api/v1/lookup/prefix": "prefix=39.32.0.0/16",
    "api/v1/lookup/holder": "organisation={org}",
    "api/v1/verify": "brand=Crest+VPN",
    "": "q=Crest+VPN",
}


def address(route: str, ids: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "action" and route.startswith("staff/compliance/violations/"):
            return "confirm"
        if name == "handle" and route.startswith("rdap/entity/"):
            return f"ORG-{ids['org']}"
        if name in FIXED and FIXED[name] is not None:
            return str(FIXED[name])
        if name == "key":
            return str(ids["cost_key"])
        if name == "token":
            if route.startswith("accounts/verify/"):
                return str(ids["verify_token"])
            if route.startswith("accounts/password-reset/"):
                return str(ids["reset_token"])
            return str(ids["token"])
        if name == "pk":
            return str(next(ids[k] for prefix, k in PK_BY_PREFIX if route.startswith(prefix)))
        return str(ids[PARAMS[name]])

    path = "/" + re.sub(r"\{(\w+)\}", value, route)
    query = QUERIES.get(route)
    return f"{path}?{query.format(org=ids['org'])}" if query else path


def body(method: str, route: str, ids: dict[str, Any]) -> dict[str, Any]:
    """Valid input for each API write, so that allowed callers get past validation to the door."""
    key = f"{method} {route}"
    licence = str(ids["licence"])
    reason = {"reason": "Matrix test."}
    figures = {
        "subscribers": {"bank": 1},
        "new_subscriptions": 1,
        "ended_subscriptions": 0,
        "traffic_domestic_bytes": 1,
        "traffic_international_bytes": 1,
    }
    json_bodies: dict[str, Any] = {
        "POST api/v1/organisations": {"name": "Matrix Org Pvt Ltd", "kind": "company"},
        "POST api/v1/organisations/{organisation_id}/api-keys": {
            "name": "m",
            "scopes": ["read"],
            "expires_at": "2030-01-01T00:00:00Z",
        },
        "POST api/v1/applications": {"organisation_id": ids["org"]},
        "PATCH api/v1/applications/{application_id}": {"service_description": "Edited."},
        "POST api/v1/applications/{application_id}/respond": {"response": "Answer."},
        "POST api/v1/licences/{licence_id}/official-number": {"number": "CVAS-DATA/2026/0999"},
        "POST api/v1/subscribers": {
            "licence": licence,
            "ref": "S-NEW",
            "subscriber_type": "organisation",
            "category": "bank",
            "name": "New Bank Ltd",
            "ntn": "7654321-0",
            "start_date": "2026-03-01",
        },
        "POST api/v1/subscribers/lookup": {"ntn": "1234567-8"},
        "POST api/v1/endpoints": {
            "licence": licence,
            "ref": "EP-NEW",
            "prefix": "39.32.202.0/24",
            "holder_name": "New Bank Ltd",
            "holder_type": "organisation",
        },
        "POST api/v1/endpoints/lookup": {"msisdn": "+923001234567"},
        "POST api/v1/portal/requests": {
            "applicant_id": ids["org"],
            "isp_id": ids["org"],
            "responsible_name": "A B",
            "responsible_cnic": "35202-1234567-1",
            "addresses": ["39.32.203.1"],
        },
        "POST api/v1/portal/requests/{request_id}/items/{item_id}/verify": {"verdict": "confirmed"},
        "POST api/v1/portal/requests/{request_id}/decide": {"approve": [], **reason},
        "POST api/v1/returns": {
            **figures,
            "licence_id": ids["licence"],
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
        },
        "POST api/v1/returns/{return_id}/amendments": {**figures, **reason},
        "POST api/v1/violations": {
            "licence_id": ids["licence"],
            "kind": "late_return",
            "occurred_on": "2026-06-01",
            "evidence": "Matrix test.",
        },
        "POST api/v1/violations/{violation_id}/propose": {"sanction": "warning", **reason},
        "POST api/v1/violations/{violation_id}/decide": {"decision": "impose", **reason},
        "PUT api/v1/compliance/cost-model/{key}": {"value": "1.5", "source": "Matrix test."},
        "POST api/v1/lookup/ip": {"addresses": ["39.32.200.1"]},
    }
    csv = b"record,key,value,date,description,resolved\n"
    multipart: dict[str, dict[str, Any]] = {
        "POST api/v1/applications/{application_id}/documents": {"kind": "security_policy"},
        "POST api/v1/portal/requests/{request_id}/documents": {"kind": "letter"},
        "POST api/v1/imports": {"licence": licence, "kind": "endpoints"},
        "POST api/v1/returns/csv": {"licence_id": ids["licence"]},
        "POST api/v1/returns/{return_id}/amendments/csv": reason,
    }
    pages: dict[str, dict[str, Any]] = {
        "POST staff/applications/{pk}/decide/": {"decision": "approve", **reason},
        "POST staff/applications/{pk}/assign/": {"officer": str(ids["officer"])},
        "POST staff/licences/{pk}/action/": {"action": "suspend", "confirm": "1", **reason},
        "POST staff/licences/{pk}/number/": {"number": "CVAS-DATA/2026/0999"},
        "POST staff/users/new/": {
            "email": "new-staff@regulator.test",
            "full_name": "New Staff",
            "role": "auditor",
            "password": "a long enough password 42",
        },
        "POST staff/users/{pk}/roles/": {"roles": ["auditor"]},
        "POST staff/compliance/violations/new/": {
            "licence": licence,
            "kind": "late_return",
            "occurred_on": "2026-06-01",
            "evidence": "Matrix test.",
        },
        "POST staff/compliance/violations/{pk}/{action}/": reason,
        "POST staff/compliance/cost-model/": {
            "key": ids["cost_key"],
            "value": "1.5",
            "source": "Matrix test.",
        },
    }
    if key in pages:
        return {"data": pages[key]}
    if key in multipart:
        pdf = "documents" in key
        name, content = ("letter.pdf", PDF) if pdf else ("data.csv", csv + b"x,y,1,,,\n")
        return {"data": {**multipart[key], "file": SimpleUploadedFile(name, content)}}
    if key in json_bodies or (route.startswith("api/") and method in ("POST", "PUT", "PATCH")):
        payload = json_bodies.get(key, reason if method == "POST" else {})
        return {"data": json.dumps(payload), "content_type": "application/json"}
    return {}


# -- what a response may carry ----------------------------------------------------------------------

NEVER = {"password", "secret_hash", "secret", "identity", "cnic", "msisdn", "totp"}
NEVER_SUFFIX = ("_encrypted", "_hmac")
NOT_TO_THE_PUBLIC = {
    "email",
    "contact_email",
    "contact_phone",
    "created_by",
    "identity_masked",
    "msisdn_masked",
    "responsible_name",
    "assigned_to",
    "actor",
    "by",
    "key",
}
_SCHEMA = api.get_openapi_schema()
API_KEY = re.compile(r"cvas_[a-z0-9]{10}_[0-9A-Za-z]{49}")
SCHEMA_PAGES = {"api/v1/openapi.json", "api/v1/docs", "api/v1/"}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def extra_fields(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Fields of `value` that its documented schema does not name."""
    schema = _resolve(schema)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [extra_fields(value, s, where) for s in schema[combined]]
            return min(options, key=len)
    if isinstance(value, dict):
        properties = schema.get("properties")
        if properties is None:
            return []  # a free-form object (figures by category, regime fees)
        out = [f"{where}.{k}" for k in value if k not in properties]
        for k, v in value.items():
            if k in properties:
                out += extra_fields(v, properties[k], f"{where}.{k}")
        return out
    if isinstance(value, list):
        out = []
        for item in value:
            out += extra_fields(item, schema.get("items", {}), f"{where}[]")
        return sorted(set(out))
    return []


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def field_problems(caller: Caller, method: str, route: str, response: Any) -> list[str]:
    if not response.get("Content-Type", "").startswith("application/json") or route in SCHEMA_PAGES:
        return []
    data = response.json() if response.content else None
    problems = []
    ninja_path = "/" + route.removeprefix("api/v1/")
    operation = _SCHEMA["paths"].get("/api/v1" + ninja_path, {}).get(method.lower())
    if operation is not None:
        responses = operation["responses"]
        documented = responses.get(response.status_code) or responses.get(str(response.status_code))
        content = (documented or {}).get("content", {}).get("application/json")
        if documented is None:
            problems.append(f"status {response.status_code} is not documented")
        elif content is not None:
            problems += [f"undocumented field {f}" for f in extra_fields(data, content["schema"])]
    names = keys_of(data)
    problems += [f"field {n}" for n in names if n in NEVER or n.endswith(NEVER_SUFFIX)]
    if caller.via == "anon" and "error" not in data:
        problems += [f"field {n} shown to the public" for n in names & NOT_TO_THE_PUBLIC]
    if API_KEY.search(response.content.decode()) and not (
        method == "POST" and route.endswith("/api-keys")
    ):
        problems.append("an API key in a response other than its creation")
    return problems


# -- the matrix -------------------------------------------------------------------------------------


def outcome(response: Any) -> str | int:
    status = response.status_code
    if status in (401, 403, 404, 405):
        return status
    if status in (301, 302) and "/accounts/login/" in response.get("Location", ""):
        return "login"
    if status == 501 and response.get("Content-Type", "").startswith("application/rdap+json"):
        return 501  # RDAP's answer to a query type it does not serve (RFC 7480)
    if status >= 500:
        return f"server error {status}"
    return "ok"


def callers(role: str) -> list[Caller]:
    if role == "anonymous":
        return [Caller("anonymous", "anon")]
    return [Caller(role, "session"), *(Caller(role, "key", s) for s in SCOPES)]


@pytest.fixture
def doors(world: dict[str, Any], complete_application: Any) -> Doors:
    return build(world, complete_application)


@pytest.mark.parametrize("role", ROLES)
def test_every_door_answers_each_role_as_listed(role: str, doors: Doors) -> None:
    session_cookie: str | None = None
    if role != "anonymous":
        login = Client()
        login.force_login(doors.world[role])
        session_cookie = login.cookies[settings.SESSION_COOKIE_NAME].value
    failures: list[str] = []
    for route, methods in sorted(routes().items()):
        for method in METHODS:
            rule = expected(route, methods, method)
            assert rule is not None, f"{method} {route} is not in the matrix"
            page = methods is None
            path = address(route, doors.ids)
            for caller in callers(role):
                if (
                    page
                    and caller.via == "key"
                    and (
                        caller.scope != "read"
                        or method != "GET"
                        or role not in ("member_a", "admin")
                    )
                ):
                    continue  # pages never read the Authorization header: a few keys suffice
                unserved = (methods is not None and method not in methods) or (
                    page and method in ("PUT", "PATCH", "DELETE")
                )
                if unserved and (caller.via == "key" or role not in METHOD_ROLES):
                    continue  # refused before authentication: the same answer for everyone
                client = Client(raise_request_exception=False)
                headers: dict[str, str] = {}
                if caller.via == "session" and session_cookie:
                    client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
                if caller.via == "key":
                    headers["HTTP_AUTHORIZATION"] = f"Bearer {doors.keys[(role, caller.scope)]}"
                with transaction.atomic():
                    response = _send(client, method, path, body(method, route, doors.ids), headers)
                    transaction.set_rollback(True)
                got = outcome(response)
                want = rule(caller)
                if got not in want:
                    failures.append(
                        f"{method} {path} as {caller}: got {got}, expected {'/'.join(map(str, sorted(want, key=str)))}"
                    )
                    continue
                if got == "ok" and not page:
                    failures += [
                        f"{method} {path} as {caller}: {p}"
                        for p in field_problems(caller, method, route, response)
                    ]
                if (
                    got == "ok"
                    and page
                    and response.get("Content-Type", "").startswith("text/html")
                ):
                    failures += [f"{method} {path}: {p}" for p in csp_problems(response)]
    assert failures == [], "\n".join(failures)


def _send(
    client: Client, method: str, path: str, data: dict[str, Any], headers: dict[str, str]
) -> Any:
    if method == "GET":
        return client.get(path, **headers)
    if method == "POST":
        return client.post(path, **data, **headers)
    send = {"PUT": client.put, "PATCH": client.patch, "DELETE": client.delete}[method]
    return send(path, **data, **headers)
