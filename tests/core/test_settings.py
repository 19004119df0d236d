"""Configuration from the environment: development by default, production refuses to start half-configured."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

KEY = base64.b64encode(secrets.token_bytes(32)).decode()
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "cvas.example.pk",
    "AUDIT_HMAC_KEY": KEY,
    "PII_ENCRYPTION_KEY": KEY,
    "PII_HMAC_KEY": KEY,
}


def cvas(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DATABASE_URL"}
    clean.update(env)
    clean["CVAS_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "cvas.manage", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "ALLOWED_HOSTS", "AUDIT_HMAC_KEY", "PII_ENCRYPTION_KEY", "PII_HMAC_KEY"],
)
def test_production_refuses_to_start_without_each_required_setting(
    missing: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = cvas("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_a_development_secret_key(tmp_path: Path) -> None:
    result = cvas("check", env={**PRODUCTION, "SECRET_KEY": "dev-insecure-abc"}, tmp_path=tmp_path)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_refuses_a_key_of_the_wrong_length(tmp_path: Path) -> None:
    result = cvas(
        "check",
        env={**PRODUCTION, "AUDIT_HMAC_KEY": base64.b64encode(b"short").decode()},
        tmp_path=tmp_path,
    )
    assert (
        result.returncode != 0 and "AUDIT_HMAC_KEY" in result.stderr and "32 bytes" in result.stderr
    )


def test_the_documented_production_environment_passes_the_deployment_checks(tmp_path: Path) -> None:
    result = cvas("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_with_no_environment_the_settings_are_for_development(tmp_path: Path) -> None:
    result = cvas(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.DATABASES['default']['NAME'])",
        env={},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    debug, name = result.stdout.strip().splitlines()[-1].split()
    assert debug == "True" and name == str(tmp_path / "cvas.sqlite3")
    assert (tmp_path / "dev-secrets.json").exists()
