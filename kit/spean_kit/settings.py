"""A service's settings, from environment variables only (prefix SPEAN_); no secret lives in code."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from spean_kit.kafka_access import KafkaAccess, SecurityProtocol


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPEAN_", extra="ignore")

    service_name: str = Field(description="The service's name: its database schema and consumer group.")
    agency: str = Field(default="MOSVY", description="The agency on whose behalf the service emits events.")
    database_url: str = Field(description="postgresql://user:password@host:port/database")
    kafka_bootstrap: str = Field(description="host:port of the Kafka bootstrap servers")
    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT", description="SASL_SSL in production: the service signs in to Kafka as itself."
    )
    kafka_username: str | None = Field(default=None, description="The service's Kafka user (SCRAM-SHA-512).")
    kafka_password: str | None = Field(default=None, description="Its password. A secret.")
    kafka_ca_file: Path | None = Field(
        default=None, description="The CA certificate (PEM) Kafka's TLS listener is trusted by."
    )
    keycloak_url: str = Field(description="Base URL where this service reaches Keycloak, e.g. http://127.0.0.1:26080")
    keycloak_public_url: str | None = Field(
        default=None,
        description="Keycloak's base URL as browsers and its tokens know it (their `iss`), where the service "
        "reaches Keycloak at another address, as inside a cluster; keycloak_url if unset.",
    )
    realm: str = "spean"
    audience: str | None = Field(default=None, description="Expected token audience; spean-<service> if unset.")
    jwks_max_age_seconds: float = Field(default=300, description="How long signing keys are trusted unrefreshed.")
    jwks_min_refresh_seconds: float = Field(default=10, description="Least interval between two key refreshes.")
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP endpoint for traces and metrics.")
    metric_export_seconds: float = Field(default=60, description="How often metrics are sent to the OTLP endpoint.")
    console_telemetry: bool = Field(default=False, description="Print spans to the console (development).")
    telemetry_name: str | None = Field(
        default=None,
        description="The service.name of its traces and metrics; spean-<service> if unset. Two instances of "
        "one service that report to one trace backend (Cambodia's and Viet Nam's repatriation) need two.",
    )
    audit_check_seconds: float = Field(
        default=3600,
        description="How often the service verifies its own audit trail, against the last round's receipt.",
    )
    idempotency_key_days: int = Field(
        default=30,
        ge=1,
        description="How long an Idempotency-Key's answer is remembered: a repeat within it is answered "
        "again, a key sent again after it is a new request.",
    )
    idempotency_sweep_seconds: float = Field(default=3600, description="How often forgotten keys are deleted.")
    outbox_batch_size: int = 500
    outbox_poll_seconds: float = 0.2
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2
    log_level: str = "INFO"
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        description="The largest request body taken (413 above it): a bulk intake of about 50,000 screenings.",
    )
    gc_young_threshold: int = Field(
        default=100_000,
        description="Allocations between two collections of Python's youngest generation (700 by default). "
        "Relaying and consuming allocate a few objects per event, and each collection also walks older "
        "ones: bench/pipeline.py measured 15-25% more events/s at 10,000 than at 700. At 10,000 a "
        "consumer's batch of 2,000 events still crossed the threshold while alive, and collecting it cost "
        "3-7 µs per event consumed (63 collections for 60,000 events); at 100,000 none was needed.",
    )
    topic_namespace: str = Field(
        default="",
        description="Prefix of every topic and consumer group name, so that environments (training, "
        "staging) can share one Kafka cluster without seeing each other's events. Empty in production.",
    )

    @property
    def kafka(self) -> KafkaAccess:
        return KafkaAccess(
            self.kafka_bootstrap,
            self.kafka_security_protocol,
            self.kafka_username,
            self.kafka_password,
            self.kafka_ca_file,
        )

    @property
    def schema_name(self) -> str:
        return self.service_name.replace("-", "_")

    @property
    def issuer(self) -> str:
        """The realm as its tokens name it, and as browsers are sent to it."""
        return f"{(self.keycloak_public_url or self.keycloak_url).rstrip('/')}/realms/{self.realm}"

    @property
    def realm_url(self) -> str:
        """The realm where this service reaches it: its keys, its token endpoint."""
        return f"{self.keycloak_url.rstrip('/')}/realms/{self.realm}"

    @property
    def expected_audience(self) -> str:
        return self.audience or f"spean-{self.service_name}"

    @property
    def consumer_group(self) -> str:
        # Namespaced like the topics: environments sharing a cluster never share a consumer group.
        return f"{self.topic_namespace}spean-{self.service_name}"
