"""How clients reach the servers: one place that services, tests and the Makefile read."""

from __future__ import annotations

from dataclasses import dataclass

from spean_local.paths import Layout, Ports
from spean_local.servers import Kafka, Keycloak, Postgres


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
        )

    def as_environment(self) -> dict[str, str]:
        """The variables the services read (see the kit's settings)."""
        return {
            "SPEAN_DATABASE_URL": self.postgres_dsn,
            "SPEAN_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "SPEAN_KEYCLOAK_URL": self.keycloak_url,
        }
