"""The identification service's settings: the kit's, plus its keys and procedure options."""

from __future__ import annotations

import base64
import binascii

from pydantic import Field, field_validator

from spean_kit.keyring import KeyRing
from spean_kit.settings import ServiceSettings

MATCH_SECRET_BYTES = 32


class IdentificationSettings(ServiceSettings):
    service_name: str = "identification"
    master_key: str = Field(description="Base64 of 32 bytes: wraps each case's data key. A secret.")
    previous_master_keys: list[str] = Field(
        default=[],
        description="Master keys being replaced (base64, a JSON list): they still open the data keys they "
        "wrapped, which the service wraps again under `master_key`; remove them once it has logged that "
        "every sealed value opens with the current master key.",
    )
    match_key_secret: str = Field(
        description="Base64 secret for match keys, shared by identification only. A secret. To replace it, set "
        "the new one here and list the old one under `previous_match_key_secrets`."
    )
    previous_match_key_secrets: list[str] = Field(
        default=[],
        description="Match-key secrets being replaced (base64, a JSON list): the service makes the keys of "
        "each screening made under one of them (or before the secret of a screening was recorded) again "
        "under `match_key_secret` and publishes them, so that the registry links earlier screenings with "
        "later ones; remove them once it has logged that every screening's keys are renewed.",
    )
    require_co_signature: bool = Field(default=False, description="Determinations need MoI police co-signature.")
    determination_deadline_hours: float = Field(default=72, description="From screening to determination.")
    co_signature_deadline_hours: float = Field(
        default=48, description="From the determination to the police's co-signature, where one is required."
    )
    reception_screening_hours: float = Field(
        default=48, description="From a returnee's handover to Cambodia to their screening on arrival."
    )
    deadline_scan_seconds: float = 30

    @field_validator("match_key_secret", "previous_match_key_secrets")
    @classmethod
    def _strong_secrets(cls, value: str | list[str]) -> str | list[str]:
        """A secret pasted wrong stops the service at its start, named, rather than keying every new
        screening under something else; a short one would let a leaked key be searched for."""
        for secret in [value] if isinstance(value, str) else value:
            try:
                raw = base64.b64decode(secret, validate=True)
            except binascii.Error as error:
                raise ValueError("not base64") from error
            if len(raw) < MATCH_SECRET_BYTES:
                raise ValueError(f"shorter than {MATCH_SECRET_BYTES} bytes")
        return value

    @property
    def master_keys(self) -> KeyRing:
        return KeyRing.from_base64(self.master_key, self.previous_master_keys)

    @property
    def match_secret_bytes(self) -> bytes:
        return base64.b64decode(self.match_key_secret)

    @property
    def previous_match_secrets(self) -> list[bytes]:
        return [base64.b64decode(secret) for secret in self.previous_match_key_secrets]
