"""Personal data encrypted at rest with a key per case (envelope encryption).

Each case has its own data key, stored only wrapped (AES-GCM) under the service's master key. A lawful
erasure destroys the case's wrapped key: its personal data is then unreadable everywhere it was copied,
backups included, while the rest of the case (coarse, non-personal) remains for statistics.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12


class CaseKeys:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._master = AESGCM(master_key)

    def new_wrapped_key(self, case_id: str) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._master.encrypt(nonce, AESGCM.generate_key(bit_length=256), case_id.encode())

    def _unwrap(self, wrapped: bytes, case_id: str) -> AESGCM:
        return AESGCM(self._master.decrypt(wrapped[:NONCE], wrapped[NONCE:], case_id.encode()))

    def encrypt(self, wrapped_key: bytes, case_id: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._unwrap(wrapped_key, case_id).encrypt(nonce, plaintext, case_id.encode())

    def decrypt(self, wrapped_key: bytes, case_id: str, ciphertext: bytes) -> bytes:
        return self._unwrap(wrapped_key, case_id).decrypt(ciphertext[:NONCE], ciphertext[NONCE:], case_id.encode())
