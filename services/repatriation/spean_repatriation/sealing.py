"""Personal data and stored messages encrypted at rest (AES-256-GCM under the service's master key).

The record's own id is bound as associated data, so a sealed value copied onto another record does
not open there.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class Sealer:
    def __init__(self, master_key_b64: str) -> None:
        key = base64.b64decode(master_key_b64)
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes, base64-encoded")
        self._aead = AESGCM(key)

    def seal(self, plain: bytes, record_id: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plain, record_id.encode())

    def open(self, sealed: bytes, record_id: str) -> bytes:
        return self._aead.decrypt(sealed[:12], sealed[12:], record_id.encode())
