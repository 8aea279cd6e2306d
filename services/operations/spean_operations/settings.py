"""The console's settings: the kit's, plus where operators' links and figures come from and how they
sign in."""

from __future__ import annotations

from pydantic import Field

from spean_kit.settings import ServiceSettings


class OperationsSettings(ServiceSettings):
    service_name: str = "operations"
    agency: str = "NCCT"
    public_url: str = Field(
        default="http://127.0.0.1:26105", description="Where operators' browsers reach the console."
    )
    trace_ui_url: str = Field(
        default="http://127.0.0.1:26411/zipkin", description="The trace store's web UI, for links to a trace."
    )
    metrics_url: str | None = Field(
        default=None, description="The collector's Prometheus endpoint, for the outbox backlog of each service."
    )
    console_client_id: str = "spean-console"
    console_client_secret: str = Field(description="The console's confidential client secret in Keycloak.")
    session_key: str = Field(description="HMAC key sealing the console's session cookie (32 bytes or more).")
    session_minutes: int = Field(default=30, ge=1, le=480, description="How long a console sign-in lasts.")
    session_recheck_seconds: float = Field(
        default=60, gt=0, description="How often a signed-in session is asked again of Keycloak."
    )
    session_recheck_grace_seconds: float = Field(
        default=300,
        gt=0,
        description="How long a session last confirmed by Keycloak stays open while Keycloak cannot be reached.",
    )
    flow_minutes: int = Field(default=30, ge=5, le=240, description="Minutes of event flow shown per topic.")
