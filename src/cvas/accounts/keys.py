"""The API key format: `cvas_<prefix>_<secret><checksum>`, 256 random bits, CRC-32 checksum."""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PREFIX_LEN = 10
SECRET_LEN = 43  # 62**43 > 2**256
CHECKSUM_LEN = 6  # 62**6 > 2**32
KEY_RE = re.compile(
    rf"^cvas_([a-z0-9]{{{PREFIX_LEN}}})_([0-9A-Za-z]{{{SECRET_LEN}}})([0-9A-Za-z]{{{CHECKSUM_LEN}}})$"
)


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LEN)


def generate() -> tuple[str, str]:
    """A new key and its public prefix."""
    prefix = "".join(
        secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(PREFIX_LEN)
    )
    secret = _base62(secrets.randbits(256), SECRET_LEN)
    body = f"cvas_{prefix}_{secret}"
    return body + _checksum(body), prefix


def parse(token: str) -> str | None:
    """The key's prefix if it is well formed and its checksum holds; None otherwise."""
    match = KEY_RE.match(token)
    if not match:
        return None
    prefix, secret, checksum = match.groups()
    if not secrets.compare_digest(_checksum(f"cvas_{prefix}_{secret}"), checksum):
        return None
    return prefix


def digest(token: str) -> str:
    # The key carries 256 random bits, so a fast hash suffices: no dictionary to defend against.
    return hashlib.sha256(token.encode()).hexdigest()
