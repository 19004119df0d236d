"""Reading configuration from the environment, in one place."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer; got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def decode_key(name: str, value: str) -> bytes:
    """A 32-byte key given as base64, as the README documents for every *_KEY setting."""
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be base64 of 32 random bytes") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(
            f"{name} must be base64 of exactly 32 bytes; it decodes to {len(raw)}"
        )
    return raw


def development_secrets(var_dir: Path) -> dict[str, str]:
    """Secrets for local development, generated once and kept in var/ (never committed)."""
    path = var_dir / "dev-secrets.json"
    wanted = ("SECRET_KEY", "AUDIT_HMAC_KEY", "PII_ENCRYPTION_KEY", "PII_HMAC_KEY")
    data: dict[str, str] = {}
    if path.exists():
        data = json.loads(path.read_text())
    missing = [k for k in wanted if k not in data]
    if missing:
        for key in missing:
            if key == "SECRET_KEY":
                data[key] = "dev-insecure-" + secrets.token_urlsafe(40)
            else:
                data[key] = base64.b64encode(secrets.token_bytes(32)).decode()
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)
    return data
