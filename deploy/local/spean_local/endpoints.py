"""How clients reach the servers: one place that services, tests and the Makefile read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keycloak import KeycloakOpenID

from spean_local.paths import Layout, Ports
from spean_local.servers import Collector, Kafka, Keycloak, Postgres, Zipkin
from spean_local.servers.keycloak import secret_name


@dataclass(frozen=True)
class Endpoints:
    postgres_dsn: str
    kafka_bootstrap: str
    keycloak_url: str
    keycloak_admin_user: str
    keycloak_admin_password: str
    keycloak_client_secrets: dict[str, str]
    keycloak_user_passwords: dict[str, str]
    """Demo users' passwords keyed `<realm>/<username>` (deploy/keycloak/demo-users.json)."""
    otlp_endpoint: str
    """The OpenTelemetry Collector's OTLP/HTTP address, which the services export to."""
    zipkin_url: str
    """The trace store: its web UI under /zipkin/, its query API under /api/v2/."""
    metrics_url: str
    """The collector's Prometheus endpoint: the services' metrics (outbox backlog, lag, events)."""

    @classmethod
    def local(cls, layout: Layout, ports: Ports) -> Endpoints:
        keycloak = Keycloak(layout, ports)
        return cls(
            postgres_dsn=Postgres(layout, ports).dsn(),
            kafka_bootstrap=Kafka(layout, ports).bootstrap,
            keycloak_url=keycloak.url,
            keycloak_admin_user="spean-admin",
            keycloak_admin_password=keycloak.admin_password(),
            keycloak_client_secrets=keycloak.client_secrets(),
            keycloak_user_passwords=keycloak.user_passwords(),
            otlp_endpoint=Collector(layout, ports).otlp_url,
            zipkin_url=Zipkin(layout, ports).url,
            metrics_url=Collector(layout, ports).metrics_url,
        )

    def client_secret(self, client_id: str) -> str:
        name = secret_name(client_id)
        if name not in self.keycloak_client_secrets:
            raise LookupError(f"no machine client {client_id!r} in this platform's secrets")
        return self.keycloak_client_secrets[name]

    def client_token(self, client_id: str, realm: str | None = None) -> dict[str, Any]:
        """A machine client's client-credentials answer (`access_token`, `expires_in`, ...), from its
        realm: Viet Nam's demo systems (`vn-*`) belong to `vn-counterpart`, the rest to `spean`."""
        oidc = KeycloakOpenID(
            server_url=self.keycloak_url,
            realm_name=realm or ("vn-counterpart" if client_id.startswith("vn-") else "spean"),
            client_id=client_id,
            client_secret_key=self.client_secret(client_id),
        )
        answer: dict[str, Any] = oidc.token(grant_type="client_credentials")
        return answer

    def as_environment(self) -> dict[str, str]:
        """The variables the services read (see the kit's settings)."""
        return {
            "SPEAN_DATABASE_URL": self.postgres_dsn,
            "SPEAN_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "SPEAN_KEYCLOAK_URL": self.keycloak_url,
            "SPEAN_OTLP_ENDPOINT": self.otlp_endpoint,
            "SPEAN_ZIPKIN_URL": self.zipkin_url,
            "SPEAN_METRICS_URL": self.metrics_url,
        }
