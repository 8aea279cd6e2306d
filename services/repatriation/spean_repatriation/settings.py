"""The repatriation service's settings: which country it serves, its keys, and its counterparts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from spean_contracts.vocabulary import Country
from spean_kit.settings import ServiceSettings


class Counterpart(BaseModel):
    """A country this instance exchanges SOP messages with, and how far it trusts it."""

    country: Country
    endpoint: str = Field(description="Base URL of the counterpart's cross-border listener (https).")
    keys: dict[str, dict[str, Any]] = Field(description="The counterpart's pinned public signing keys (JWK) by kid.")
    token_issuer: str = Field(description="The issuer of the counterpart's bearer tokens.")
    token_audience: str = "repatriation-crossborder"  # noqa: S105  # an audience, not a secret
    token_jwks_url: str | None = Field(default=None, description="The issuer's keys; Keycloak's path if unset.")
    certificate: str = Field(description="The counterpart's TLS certificate (PEM), pinned both ways.")
    verification_working_days: int = Field(
        default=30, ge=0, description="Viet Nam: provincial police 20, then immigration 10 working days."
    )
    handover_notice_days: int = Field(default=3, ge=0, description="Least days' notice before a handover.")
    holidays: list[date] = Field(default_factory=list)


class RepatriationSettings(ServiceSettings):
    service_name: str = "repatriation"
    country: Country = Country.CAMBODIA
    signing_key: str = Field(description="This country's private signing key (PEM, EC P-256).")
    signing_key_id: str = Field(description="The kid counterparts pin for the signing key.")
    master_key: str = Field(description="Base64 of 32 bytes: encrypts personal data and stored messages.")
    previous_master_keys: list[str] = Field(
        default=[],
        description="Master keys being replaced (base64, a JSON list): they still open what they sealed, "
        "which the service seals again under `master_key`; remove them once it has logged that every "
        "sealed value opens with the current master key.",
    )
    counterparts: list[Counterpart] = Field(default_factory=list)
    tls_certificate: Path = Field(description="File of this instance's TLS certificate (PEM): server and client.")
    tls_private_key: Path = Field(description="File of the TLS certificate's private key (PEM).")
    crossborder_host: str = "127.0.0.1"
    crossborder_port: int = 8443
    gateway_token_url: str = Field(description="Where this instance gets tokens for counterparts (client credentials).")
    gateway_client_id: str
    gateway_client_secret: str
    delivery_poll_seconds: float = 0.5
    delivery_backoff_seconds: float = 1.0
    delivery_backoff_max_seconds: float = 300.0
    receipt_deadline_hours: float = Field(default=24, description="A message unacknowledged this long is a breach.")
    deadline_scan_seconds: float = 30
    certificate_warning_days: int = Field(
        default=30, ge=1, description="A certificate of the exchange ending within this many days is logged."
    )
    certificate_check_seconds: float = Field(default=6 * 3600, description="How often the certificates are checked.")

    def counterpart(self, country: Country) -> Counterpart | None:
        return next((c for c in self.counterparts if c.country is country), None)


def jwks_url(counterpart: Counterpart) -> str:
    return counterpart.token_jwks_url or f"{counterpart.token_issuer.rstrip('/')}/protocol/openid-connect/certs"
