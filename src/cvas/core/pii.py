"""Personal data at rest: AES-256-GCM with rotatable keys, and keyed HMACs for exact lookups.

A ciphertext is `VERSION (1 byte) | key id (4 bytes) | nonce (12 bytes) | AES-GCM(ciphertext+tag)`.
The key id names the key that wrote it, so rows written before a rotation still decrypt with the
old key (settings.PII_ENCRYPTION_OLD_KEYS) until `cvas pii rotate` re-encrypts them. The
associated data binds a ciphertext to its purpose ("subscriber.cnic"), so a value copied into
another column does not decrypt. Lookups never decrypt: they compare `lookup_hash` values,
HMAC-SHA256 under settings.PII_HMAC_KEY of the normalised value; neither key lives in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed

VERSION = 1
_HEADER = 1 + 4 + 12


class PiiError(Exception):
    """A ciphertext that cannot be read: unknown key, tampered, or not ours."""


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"cvas-pii-key-id:" + key).digest()[:4]


@lru_cache(maxsize=1)
def _keys() -> tuple[bytes, AESGCM, dict[bytes, AESGCM]]:
    current = settings.PII_ENCRYPTION_KEY
    ring = {key_id(k): AESGCM(k) for k in getattr(settings, "PII_ENCRYPTION_OLD_KEYS", [])}
    ring[key_id(current)] = AESGCM(current)
    return key_id(current), ring[key_id(current)], ring


def _reset(**kwargs: object) -> None:
    if kwargs.get("setting") in ("PII_ENCRYPTION_KEY", "PII_ENCRYPTION_OLD_KEYS"):
        _keys.cache_clear()


setting_changed.connect(_reset)


def encrypt(value: str, *, purpose: str) -> bytes:
    kid, aead, _ = _keys()
    nonce = os.urandom(12)
    body = aead.encrypt(nonce, value.encode(), purpose.encode())
    return bytes([VERSION]) + kid + nonce + body


def decrypt(blob: bytes | memoryview | None, *, purpose: str) -> str:
    if blob is None:
        return ""
    data = bytes(blob)
    if len(data) < _HEADER + 16 or data[0] != VERSION:
        raise PiiError("not a personal-data ciphertext of a known version")
    _, _, ring = _keys()
    aead = ring.get(data[1:5])
    if aead is None:
        raise PiiError(
            "encrypted with a key that is neither PII_ENCRYPTION_KEY nor in PII_ENCRYPTION_OLD_KEYS"
        )
    try:
        return aead.decrypt(data[5:17], data[17:], purpose.encode()).decode()
    except InvalidTag:
        raise PiiError("ciphertext does not authenticate (tampered or wrong purpose)") from None


def is_current(blob: bytes | memoryview | None) -> bool:
    """Whether a ciphertext was written with the current key (else `cvas pii rotate` redoes it)."""
    if blob is None:
        return True
    return bytes(blob)[1:5] == _keys()[0]


def lookup_hash(value: str, *, purpose: str) -> bytes:
    """The keyed hash of an already-normalised value: equal values, equal hashes; no way back."""
    return hmac.new(
        settings.PII_HMAC_KEY, purpose.encode() + b"\x00" + value.encode(), hashlib.sha256
    ).digest()


def content_hash(*parts: object) -> bytes:
    """A keyed digest of a record's normalised content: detects change without keeping it in clear."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hmac.new(settings.PII_HMAC_KEY, b"content\x00" + text.encode(), hashlib.sha256).digest()


# -- normalisation before hashing ------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """A person's name as entered, tidied: Unicode NFKC, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip()


def name_key(name: str) -> str:
    """What two spellings of one name share for an exact lookup: case and spacing ignored."""
    return normalise_name(name).casefold()


def mask(value: str, keep: int = 2) -> str:
    """For display to those who may know a record exists: 35202-*******-1 style, never whole."""
    if len(value) <= keep:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - keep - 1) + value[-1]
