"""Who may pass which door: the expected answer of every URL pattern and method, for each role and
credential. A new URL pattern fails the matrix until it is listed here.

Outcomes: "ok" (through the door: 2xx, 3xx other than to the sign-in page, or a 4xx about the
request itself such as 409 or 422), 401, 403, 404, 405, "login" (a page's redirect to sign-in).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tests.security.doors import MEMBERS, STAFF


@dataclass(frozen=True)
class Caller:
    role: str  # one of doors.ROLES
    via: str  # "anon", "session" or "key"
    scope: str | None = None  # the key's one scope

    def __str__(self) -> str:
        return self.role if self.via != "key" else f"{self.role}+key:{self.scope}"


Outcome = str | int
Rule = Callable[[Caller], frozenset[Outcome]]
ALL = frozenset(MEMBERS | STAFF)
OK: frozenset[Outcome] = frozenset({"ok"})


def _one(*outcomes: Outcome) -> frozenset[Outcome]:
    return frozenset(outcomes)


# -- the API --------------------------------------------------------------------------------------


def public() -> Rule:
    return lambda c: OK


def api(
    scope: str | None,
    allow: Iterable[str] = ALL,
    deny: Outcome | dict[str, Outcome] = 403,
    *,
    session_only: bool = False,
    key_scopes: set[str] | None = None,
) -> Rule:
    """Signed-in callers (session, or a key with `scope`) in `allow` pass; the others get `deny`."""
    allowed = frozenset(allow)

    def rule(c: Caller) -> frozenset[Outcome]:
        if c.via == "anon":
            return _one(401)
        if c.via == "key" and scope is not None and c.scope != scope:
            return _one(403)
        if c.via == "key" and (session_only or (key_scopes and key_scopes - {c.scope})):
            return _one(403)
        if c.role in allowed:
            return OK
        return _one(deny[c.role] if isinstance(deny, dict) else deny)

    return rule


Check = Callable[[Caller], "Outcome | None"]


def steps(*checks: Check) -> Rule:
    """The checks an operation makes, in its order: the first that refuses gives the answer."""

    def rule(c: Caller) -> frozenset[Outcome]:
        if c.via == "anon":
            return _one(401)
        for check in checks:
            refused = check(c)
            if refused is not None:
                return _one(refused)
        return OK

    return rule


def scope(name: str) -> Check:
    return lambda c: 403 if c.via == "key" and c.scope != name else None


def who(allowed: Iterable[str], deny: Outcome | dict[str, Outcome] = 403) -> Check:
    permitted = frozenset(allowed)

    def check(c: Caller) -> Outcome | None:
        if c.role in permitted:
            return None
        if isinstance(deny, dict):
            return deny.get(c.role)
        return deny

    return check


OUTSIDERS = who(STAFF | {"member_a"}, {"member_b": 404, "operator": 404})


def own(scope: str, staff: Outcome = "ok") -> Rule:
    """A record of organisation A: its members pass, others' members are told it does not exist
    (404), regulator staff get `staff` (read everything; 403 where only members may act)."""
    return api(
        scope,
        {"member_a"} | (STAFF if staff == "ok" else set()),
        {
            "member_b": 404,
            "operator": 404,
            **{s: staff for s in STAFF},
        },
    )


def roles(scope: str, *allowed: str, others: Outcome = 403) -> Rule:
    return api(scope, set(allowed), others)


# -- the pages ------------------------------------------------------------------------------------


def page(allow: Iterable[str] | str = "all", deny: Outcome | dict[str, Outcome] = 404) -> Rule:
    """A page: the anonymous (and API keys, which pages ignore) are sent to sign in; signed-in
    accounts in `allow` pass, the others get `deny`."""

    def rule(c: Caller) -> frozenset[Outcome]:
        if c.via != "session":
            return _one("login")
        if allow == "all" or c.role in allow:
            return OK
        return _one(deny[c.role] if isinstance(deny, dict) else deny)

    return rule


def page_public() -> Rule:
    return lambda c: OK


def own_page(staff: Outcome = 403) -> Rule:
    return page(
        {"member_a"} | (STAFF if staff == "ok" else set()),
        {
            "member_b": 404,
            "operator": 404,
            **{s: staff for s in STAFF},
        },
    )


def staff_page(*allowed: str, others: Outcome = 403) -> Rule:
    """A back-office page: 404 to anyone who is not regulator staff; staff outside `allowed`
    (every staff role if none is named) get `others`."""
    permitted = set(allowed) or set(STAFF)
    return page(permitted, {**{m: 404 for m in MEMBERS}, **{s: others for s in STAFF}})


def either(*rules: Rule) -> Rule:
    """Several answers are right (e.g. a method refused before or after the sign-in check)."""
    return lambda c: frozenset().union(*(r(c) for r in rules))


def fixed(*outcomes: Outcome) -> Rule:
    return lambda c: _one(*outcomes)


POST_ONLY = fixed(405)
MEMBER_WRITE = own("write", staff=403)
MEMBER_READ = own("read")
STAFF_READ = roles("read", *STAFF)
LICENSING = roles("write", "officer")
COMPLIANCE = roles("write", "compliance")
# A violation is regulator business: to anyone else it does not exist.
VIOLATION_COMPLIANCE = api(
    "write", {"compliance"}, {**{m: 404 for m in MEMBERS}, **{s: 403 for s in STAFF}}
)
VIOLATION_LICENSING = api(
    "write", {"officer"}, {**{m: 404 for m in MEMBERS}, **{s: 403 for s in STAFF}}
)
# A portal request is found (read scope; the applicant, its provider and staff see it) before it is
# changed (write scope; its applicant only).
PORTAL_SEEN = who(STAFF | {"member_a", "operator"}, {"member_b": 404})
PORTAL_WRITE = steps(
    scope("read"),
    PORTAL_SEEN,
    scope("write"),
    who({"member_a"}, {"operator": 404, **{s: 403 for s in STAFF}}),
)
PORTAL_DECIDE = steps(scope("read"), PORTAL_SEEN, scope("write"), who({"officer", "admin"}, 403))
PORTAL_VERIFY = steps(
    scope("read"),
    PORTAL_SEEN,
    scope("write"),
    who({"operator"}, {"member_a": 404, **{s: 404 for s in STAFF}}),
)
# Registry writes name the licence first (read scope; outsiders are told it does not exist), then
# write for it (write scope; its members, or an administrator).
REGISTRY_WRITE = steps(scope("read"), OUTSIDERS, scope("write"), who({"member_a", "admin"}, 403))
# A licensing decision on organisation A's application: outsiders cannot even see it.
LICENSING_APP = steps(scope("write"), OUTSIDERS, who({"officer"}, 403))
# Network operators and regulator staff download the registrations (exports, change feed).
DISTRIBUTION = roles("lookup", "operator", *STAFF)

# "METHOD route" -> rule. Routes as the resolver names them, parameters written {name}.
RULES: dict[str, Rule] = {
    # -- public API ------------------------------------------------------------------------
    "GET api/v1/openapi.json": public(),
    "GET api/v1/docs": public(),
    "GET api/v1/register/licences": public(),
    "GET api/v1/register/licences/{number}": public(),
    "GET api/v1/verify": public(),
    "GET api/v1/regimes": public(),
    "GET api/v1/portal/status": public(),
    "GET api/v1/statistics": public(),
    # -- accounts API ----------------------------------------------------------------------
    "GET api/v1/me": api(None),
    "GET api/v1/organisations": api("read"),
    "POST api/v1/organisations": api("write", session_only=True),
    "GET api/v1/organisations/{organisation_id}/api-keys": MEMBER_READ,
    # A key is made for A by its members (or an administrator), from a signed-in session only.
    "POST api/v1/organisations/{organisation_id}/api-keys": steps(
        scope("write"), who({"member_a", "admin"}, 404), lambda c: 403 if c.via == "key" else None
    ),
    "DELETE api/v1/api-keys/{key_id}": api("write", {"member_a", "admin"}, 404),
    "GET api/v1/jobs/{job_id}": STAFF_READ,
    # -- applications and licences ---------------------------------------------------------
    "GET api/v1/applications": api("read"),
    "POST api/v1/applications": MEMBER_WRITE,
    "GET api/v1/applications/{application_id}": MEMBER_READ,
    "PATCH api/v1/applications/{application_id}": MEMBER_WRITE,
    "POST api/v1/applications/{application_id}/documents": MEMBER_WRITE,
    "GET api/v1/applications/{application_id}/documents/{document_id}": MEMBER_READ,
    "DELETE api/v1/applications/{application_id}/documents/{document_id}": MEMBER_WRITE,
    "POST api/v1/applications/{application_id}/submit": MEMBER_WRITE,
    "POST api/v1/applications/{application_id}/withdraw": MEMBER_WRITE,
    "POST api/v1/applications/{application_id}/respond": MEMBER_WRITE,
    "GET api/v1/review/queue": STAFF_READ,
    "POST api/v1/applications/{application_id}/take": LICENSING_APP,
    "POST api/v1/applications/{application_id}/request-information": LICENSING_APP,
    "POST api/v1/applications/{application_id}/reject": LICENSING_APP,
    "POST api/v1/applications/{application_id}/approve": LICENSING_APP,
    "POST api/v1/licences/{licence_id}/official-number": roles("write", "officer", "admin"),
    "POST api/v1/licences/{licence_id}/{action}": LICENSING,
    # -- registry --------------------------------------------------------------------------
    "GET api/v1/subscribers": api("read"),
    "POST api/v1/subscribers": REGISTRY_WRITE,
    "POST api/v1/subscribers/lookup": api("read"),
    "GET api/v1/subscribers/{subscriber_id}": MEMBER_READ,
    "POST api/v1/subscribers/{subscriber_id}/end": REGISTRY_WRITE,
    "GET api/v1/endpoints": api("read"),
    "POST api/v1/endpoints": REGISTRY_WRITE,
    "POST api/v1/endpoints/lookup": api("read"),
    "GET api/v1/endpoints/{handle}": MEMBER_READ,
    "POST api/v1/endpoints/{handle}/end": REGISTRY_WRITE,
    "POST api/v1/imports": REGISTRY_WRITE,
    "GET api/v1/imports/{import_id}": MEMBER_READ,
    "GET api/v1/portal/requests": api("read"),
    "POST api/v1/portal/requests": MEMBER_WRITE,
    "GET api/v1/portal/requests/{request_id}": steps(scope("read"), PORTAL_SEEN),
    "POST api/v1/portal/requests/{request_id}/documents": PORTAL_WRITE,
    "POST api/v1/portal/requests/{request_id}/submit": PORTAL_WRITE,
    "POST api/v1/portal/requests/{request_id}/items/{item_id}/verify": PORTAL_VERIFY,
    "POST api/v1/portal/requests/{request_id}/decide": PORTAL_DECIDE,
    # -- compliance ------------------------------------------------------------------------
    "GET api/v1/returns": api("read"),
    "POST api/v1/returns": own("write", staff=404),
    "POST api/v1/returns/csv": own("write", staff=404),
    "GET api/v1/returns/export.csv": api("read"),
    "GET api/v1/returns/obligations": api("read"),
    "GET api/v1/returns/obligations.csv": api("read"),
    "GET api/v1/returns/{return_id}": MEMBER_READ,
    "GET api/v1/returns/{return_id}/csv": MEMBER_READ,
    "POST api/v1/returns/{return_id}/amendments": MEMBER_WRITE,
    "POST api/v1/returns/{return_id}/amendments/csv": MEMBER_WRITE,
    "GET api/v1/violations": STAFF_READ,
    "POST api/v1/violations": COMPLIANCE,
    "GET api/v1/violations/export.csv": STAFF_READ,
    "GET api/v1/violations/{violation_id}": STAFF_READ,
    "POST api/v1/violations/{violation_id}/propose": VIOLATION_COMPLIANCE,
    "POST api/v1/violations/{violation_id}/confirm": VIOLATION_COMPLIANCE,
    "POST api/v1/violations/{violation_id}/dismiss": VIOLATION_COMPLIANCE,
    "POST api/v1/violations/{violation_id}/decide": VIOLATION_LICENSING,
    "GET api/v1/compliance/dashboard": STAFF_READ,
    "GET api/v1/compliance/licensees/{organisation_id}/series": MEMBER_READ,
    "GET api/v1/compliance/expiring-licences": STAFF_READ,
    "GET api/v1/compliance/cost-model": api("read"),
    "PUT api/v1/compliance/cost-model/{key}": roles("write", "compliance", "admin"),
    "GET api/v1/compliance/reminders": STAFF_READ,
    # -- lookup, exports, the change feed (issue 4) ---------------------------------------
    "GET api/v1/": fixed(404),
    "GET api/v1/ping": public(),
    "GET api/v1/lookup/ip/{address}": either(public(), fixed(404)),  # "not registered" is an answer
    "GET api/v1/lookup/prefix": public(),
    "GET api/v1/lookup/holder": public(),
    "POST api/v1/lookup/ip": DISTRIBUTION,
    "GET api/v1/exports": DISTRIBUTION,
    "GET api/v1/exports/{fmt}": DISTRIBUTION,
    "GET api/v1/changes": DISTRIBUTION,
    "GET rdap/ip/{query}": either(page_public(), fixed(404)),
    "GET rdap/entity/{handle}": page_public(),
    "GET rdap/help": page_public(),
    "GET rdap/{rest}": fixed(501),
    # -- pages: public ---------------------------------------------------------------------
    "GET ": page_public(),
    "GET register/": page_public(),
    "GET register.csv": page_public(),
    "GET register.json": page_public(),
    "GET register/id/{pk}/": page_public(),
    "GET register/{number}/": page_public(),
    "GET policy/": page_public(),
    "GET statistics/": page_public(),
    "GET v/{token}/": page_public(),
    "GET healthz": page_public(),
    "POST i18n/setlang/": page_public(),
    "GET i18n/setlang/": POST_ONLY,
    "GET registry/portal/": page_public(),
    "POST registry/portal/": page_public(),
    # -- pages: signing in -----------------------------------------------------------------
    "GET accounts/login/": page_public(),
    "POST accounts/login/": page_public(),
    "POST accounts/logout/": page_public(),
    "GET accounts/logout/": POST_ONLY,
    "GET accounts/two-factor/": page(),
    "POST accounts/two-factor/": page(),
    "GET accounts/sign-up/sent/": page_public(),
    "GET accounts/verify/{token}/": either(page_public(), fixed("login")),
    "GET accounts/password-reset/": page_public(),
    "POST accounts/password-reset/": page_public(),
    "GET accounts/password-reset/sent/": page_public(),
    "GET accounts/password-reset/{uidb64}/{token}/": page_public(),
    "POST accounts/password-reset/{uidb64}/{token}/": page_public(),
    "GET accounts/password-reset/done/": page_public(),
    "GET portal/sign-up/": page_public(),
    "POST portal/sign-up/": page_public(),
    # -- pages: the organisation portal ----------------------------------------------------
    "GET portal/": page(),
    "GET portal/organisations/": page(),
    "GET portal/organisations/new/": page(),
    "POST portal/organisations/new/": page(),
    "GET portal/organisations/{pk}/": own_page(),
    "POST portal/organisations/{pk}/members/": own_page(),
    "POST portal/organisations/{pk}/members/{membership_id}/": own_page(),
    "POST portal/organisations/{pk}/api-keys/": own_page(),
    "POST portal/organisations/{pk}/api-keys/{key_id}/revoke/": own_page(),
    "GET portal/applications/": page(),
    "GET portal/applications/new/": page(),
    "POST portal/applications/new/": page(),
    "GET portal/applications/{pk}/": own_page(),
    "GET portal/applications/{pk}/step/{step}/": own_page(),
    "POST portal/applications/{pk}/step/{step}/": own_page(),
    "POST portal/applications/{pk}/documents/": own_page(),
    "GET portal/applications/{pk}/documents/{doc_id}/": own_page(),
    "POST portal/applications/{pk}/documents/{doc_id}/remove/": own_page(),
    "POST portal/applications/{pk}/submit/": own_page(),
    "POST portal/applications/{pk}/respond/": own_page(),
    "POST portal/applications/{pk}/withdraw/": own_page(),
    "GET portal/licences/": page(),
    "GET portal/licences/{pk}/": own_page(),
    "GET portal/licences/{pk}/certificate/": own_page(staff="ok"),
    "GET portal/returns/": page(),
    "GET portal/returns/file/": page(),
    "POST portal/returns/file/": page(),
    "GET portal/returns/upload/": page(),
    "POST portal/returns/upload/": page(),
    "GET portal/returns/{pk}/": own_page(staff="ok"),
    "GET portal/returns/{pk}/return.csv": own_page(staff="ok"),
    "GET portal/returns/{pk}/amend/": own_page(staff=404),
    "POST portal/returns/{pk}/amend/": own_page(staff=404),
    "POST portal/returns/{pk}/amend/csv/": own_page(staff=404),
    "GET registry/portal/{pk}/": page({"member_a", "operator", *STAFF}, {"member_b": 404}),
    "POST registry/portal/{pk}/": page({"member_a", "operator", *STAFF}, {"member_b": 404}),
    "GET registry/imports/": page(),
    "POST registry/imports/": page(),
    "GET registry/imports/{pk}/": own_page(staff="ok"),
    # -- pages: the back-office ------------------------------------------------------------
    "GET staff/": staff_page(),
    "GET staff/queue/": staff_page(),
    "GET staff/applications/{pk}/": staff_page(),
    "POST staff/applications/{pk}/take/": staff_page("officer"),
    "POST staff/applications/{pk}/assign/": staff_page("officer"),
    "POST staff/applications/{pk}/decide/": staff_page("officer"),
    "GET staff/applications/{pk}/documents/{doc_id}/": staff_page(),
    "GET staff/licences/": staff_page(),
    "GET staff/licences/{pk}/": staff_page(),
    "GET staff/licences/{pk}/action/": staff_page("officer"),
    "POST staff/licences/{pk}/action/": staff_page("officer"),
    "POST staff/licences/{pk}/number/": staff_page("officer", "admin"),
    "GET staff/audit/": staff_page(),
    "GET staff/regimes/": staff_page(),
    "GET staff/regimes/new/": staff_page("admin"),
    "POST staff/regimes/new/": staff_page("admin"),
    "GET staff/regimes/{code}/": staff_page("admin"),
    "POST staff/regimes/{code}/": staff_page("admin"),
    "GET staff/users/": staff_page("admin"),
    "GET staff/users/new/": staff_page("admin"),
    "POST staff/users/new/": staff_page("admin"),
    "POST staff/users/{pk}/roles/": staff_page("admin"),
    "GET staff/compliance/": staff_page(),
    "GET staff/compliance/licensees/{organisation_id}/": staff_page(),
    "GET staff/compliance/returns/": staff_page(),
    "GET staff/compliance/returns/{pk}/": staff_page(),
    "GET staff/compliance/returns/{pk}/return.csv": staff_page(),
    "GET staff/compliance/violations/": staff_page(),
    "GET staff/compliance/violations/new/": staff_page(),
    "POST staff/compliance/violations/new/": staff_page("compliance"),
    "GET staff/compliance/violations/{pk}/": staff_page(),
    "POST staff/compliance/violations/{pk}/{action}/": staff_page("compliance"),
    "GET staff/compliance/cost-model/": staff_page(),
    "POST staff/compliance/cost-model/": staff_page("compliance", "admin"),
    "GET staff/compliance/reminders/": staff_page(),
}
