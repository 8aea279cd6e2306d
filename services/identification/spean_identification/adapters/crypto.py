"""Personal data encrypted at rest with a key per case (envelope encryption).

Each case has its own data key, stored only wrapped (AES-GCM) under the service's master key (a key
ring: a master key is replaced by sealing every data key again, never the data). A lawful erasure
destroys the case's wrapped key: its personal data is then unreadable everywhere it was copied,
backups included, while the rest of the case (coarse, non-personal) remains for statistics.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from spean_kit.keyring import KeyRing, SealedColumn

NONCE = 12


# Where the wrapped data keys are kept, for the sweep that wraps them again under a new master key.
WRAPPED_KEYS = SealedColumn("case_key", "wrapped_key", record_id="case_id", order="case_id")


class CaseKeys:
    def __init__(self, master_keys: KeyRing) -> None:
        self._master = master_keys

    def new_wrapped_key(self, case_id: str) -> bytes:
        return self._master.seal(AESGCM.generate_key(bit_length=256), case_id)

    def _unwrap(self, wrapped: bytes, case_id: str) -> AESGCM:
        return AESGCM(self._master.open(wrapped, case_id))

    def encrypt(self, wrapped_key: bytes, case_id: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._unwrap(wrapped_key, case_id).encrypt(nonce, plaintext, case_id.encode())

    def decrypt(self, wrapped_key: bytes, case_id: str, ciphertext: bytes) -> bytes:
        return self._unwrap(wrapped_key, case_id).decrypt(ciphertext[:NONCE], ciphertext[NONCE:], case_id.encode())
