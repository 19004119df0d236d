"""Security headers, a Content-Security-Policy that the site's own pages satisfy, and the production
settings (cookies, TLS redirect) as the documented environment gives them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.core.test_settings import PRODUCTION, cvas

pytestmark = pytest.mark.django_db


class _InlineFinder(HTMLParser):
    def __init__(self, nonce: str) -> None:
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style=...> (inline style)")
        if tag == "a" and (names.get("href") or "").strip().lower().startswith("javascript:"):
            self.problems.append("<a href=javascript:...>")
        executable = names.get("type") in (None, "", "text/javascript", "module")
        if (
            tag == "script"
            and executable
            and not names.get("src")
            and names.get("nonce") != self.nonce
        ):
            self.problems.append("<script> inline without the nonce")
        if tag == "style" and names.get("nonce") != self.nonce:
            self.problems.append("<style> without the nonce")


def csp_problems(response: Any) -> list[str]:
    """What in an HTML response its own Content-Security-Policy would block."""
    policy = response["Content-Security-Policy"]
    match = re.search(r"'nonce-([^']+)'", policy)
    finder = _InlineFinder(match.group(1) if match else "")
    finder.feed(response.content.decode())
    return finder.problems


def test_pages_carry_a_strict_policy_with_a_fresh_nonce_and_the_other_headers(seeded: Any) -> None:
    first, second = Client().get("/"), Client().get("/")
    policy = first["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert part in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert policy != second["Content-Security-Policy"]  # a nonce per response
    assert first["X-Frame-Options"] == "DENY"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Referrer-Policy"] == "same-origin"
    assert first["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in first["Permissions-Policy"]
    api = Client().get("/api/v1/regimes")
    assert api["Content-Security-Policy"].startswith("default-src 'none'")


def test_answers_to_a_signed_in_caller_are_not_kept_by_shared_caches(
    world: dict[str, Any], client_for: Any
) -> None:
    assert client_for(world["member_a"]).get("/portal/")["Cache-Control"] == "private, no-store"
    assert "Cache-Control" not in Client().get("/policy/")


def test_the_site_s_own_pages_have_no_inline_script_or_style(
    world: dict[str, Any], client_for: Any
) -> None:
    from cvas.licensing.models import Licence

    licence = Licence.objects.first()
    assert licence is not None
    pages = {
        None: [
            "/",
            "/?q=Crest+VPN",
            "/register/",
            f"/register/id/{licence.pk}/",
            "/policy/",
            "/statistics/",
            f"/v/{licence.verification_token}/",
            "/ur/",
            "/accounts/login/",
            "/portal/sign-up/",
            "/accounts/password-reset/",
            "/registry/portal/",
            "/api/v1/docs",
        ],
        "member_a": [
            "/portal/",
            "/portal/organisations/",
            f"/portal/organisations/{world['org_a'].pk}/",
            "/portal/applications/",
            "/portal/returns/",
        ],
        "admin": [
            "/staff/",
            "/staff/queue/",
            "/staff/licences/",
            f"/staff/licences/{licence.pk}/",
            "/staff/audit/",
            "/staff/regimes/",
            "/staff/users/",
            "/staff/compliance/",
            "/staff/compliance/violations/",
            "/staff/compliance/cost-model/",
        ],
    }
    problems = {}
    for who, paths in pages.items():
        client = Client() if who is None else client_for(world[who])
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            found = csp_problems(response)
            if found:
                problems[path] = found
    assert problems == {}


def test_templates_hold_no_inline_style_or_script() -> None:
    src = Path(__file__).resolve().parents[2] / "src" / "cvas"
    offending = [
        str(path.relative_to(src))
        for path in src.rglob("*.html")
        if re.search(
            r"\sstyle=|<style|\son[a-z]+=|<script(?![^>]*\bsrc=)(?![^>]*application/json)",
            path.read_text(),
        )
    ]
    assert offending == []


def test_production_cookies_are_secure_and_tls_redirect_can_be_turned_off(tmp_path: Path) -> None:
    show = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_AGE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )
    result = cvas("shell", "-c", show, env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "True",
        "True",
        "True",
        "28800",
        "True",
        "31536000",
    ]
    behind_proxy = cvas(
        "shell", "-c", show, env={**PRODUCTION, "SECURE_SSL_REDIRECT": "0"}, tmp_path=tmp_path
    )
    assert behind_proxy.stdout.strip().splitlines()[-1].split()[5] == "False"
    check = cvas(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, "SECURE_SSL_REDIRECT": "0"},
        tmp_path=tmp_path,
    )
    assert check.returncode == 0, check.stderr  # W008 silenced: TLS is said to end before the app


def test_only_the_documented_deployment_check_is_silenced() -> None:
    from cvas.config import settings as project

    assert project.SILENCED_SYSTEM_CHECKS == ["security.W021"]  # in development, as in production
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "security.W021" in readme and "security.W008" in readme
