"""Sealing personal data with a key per person (or household): crypto-shredding.

An event log is immutable, so a service that must forget a person seals what it
records about them with a key of their own, kept apart from the events; destroying
the key makes every sealed copy — in the event store, outboxes and projections —
unreadable noise. AES-GCM with the owner's id as associated data, so a sealed value
cannot be moved to another owner's record.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def new_key() -> bytes:
    """A fresh 256-bit key for one owner."""
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, owner_id: uuid.UUID, details: dict[str, Any]) -> str:
    """``details`` as JSON, encrypted under ``key`` and bound to ``owner_id`` (base64)."""
    nonce = os.urandom(12)
    plaintext = json.dumps(details, separators=(",", ":"), default=str).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, owner_id.bytes)
    return base64.b64encode(nonce + ciphertext).decode()


def unseal(key: bytes, owner_id: uuid.UUID, sealed: str) -> dict[str, Any]:
    """The details :func:`seal` sealed; raises :class:`Unreadable` for a wrong key or owner."""
    raw = base64.b64decode(sealed)
    try:
        plaintext = AESGCM(key).decrypt(raw[:12], raw[12:], owner_id.bytes)
    except InvalidTag as exc:
        raise Unreadable("the sealed value does not open with this key and owner") from exc
    details: dict[str, Any] = json.loads(plaintext)
    return details


class Unreadable(Exception):
    """A sealed value that does not open (wrong key or owner, or tampered with)."""
