"""The repatriation service runs twice on one machine: Cambodia's instance and Viet Nam's, each with
its own database, keys, certificate, realm and listener, speaking the SOP to each other over mutual TLS."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from spean_local.paths import Layout, Ports
from spean_local.pki import country_credentials
from spean_local.secrets import generated
from spean_local.servers.keycloak import Keycloak, secret_name
from spean_local.servers.services import Service, key32


@dataclass(frozen=True)
class Side:
    country: str
    name: str
    realm: str
    gateway: str
    namespace: str
    """Viet Nam's instance publishes under its own topic prefix: in production it has its own Kafka."""


SIDES = {
    "KHM": Side("KHM", "repatriation", "spean", "kh-repatriation-gateway", ""),
    "VNM": Side("VNM", "repatriation-vn", "vn-counterpart", "vn-repatriation-gateway", "vn."),
}


class RepatriationService(Service):
    def __init__(self, country: str, layout: Layout, ports: Ports) -> None:
        self.side = SIDES[country]
        super().__init__(self.side.name, ports.repatriation[country], layout, ports)

    @property
    def script(self) -> Path:
        return super().script.with_name("spean-repatriation")

    @property
    def crossborder_port(self) -> int:
        return self.ports.crossborder[self.side.country]

    def environment(self) -> dict[str, str]:
        folder = self.layout.secrets / "pki"
        mine = country_credentials(folder, self.side.country)
        other = next(side for code, side in SIDES.items() if code != self.side.country)
        theirs = country_credentials(folder, other.country)
        keycloak = Keycloak(self.layout, self.ports)
        counterpart = {
            "country": other.country,
            "endpoint": f"https://127.0.0.1:{self.ports.crossborder[other.country]}",
            "keys": {theirs.signing_key_id: theirs.public_jwk()},
            "token_issuer": f"{keycloak.url}/realms/{other.realm}",
            "certificate": theirs.certificate_pem(),
        }
        master = generated(self.layout.secrets, "services", [f"{self.name}_master_key"])[f"{self.name}_master_key"]
        return {
            **super().environment(),
            "SPEAN_COUNTRY": self.side.country,
            "SPEAN_TELEMETRY_NAME": f"spean-{self.side.name}",
            "SPEAN_REALM": self.side.realm,
            "SPEAN_TOPIC_NAMESPACE": self.side.namespace,
            "SPEAN_SIGNING_KEY": mine.signing_key_pem(),
            "SPEAN_SIGNING_KEY_ID": mine.signing_key_id,
            "SPEAN_MASTER_KEY": key32(master),
            "SPEAN_COUNTERPARTS": json.dumps([counterpart]),
            "SPEAN_TLS_CERTIFICATE": str(mine.certificate),
            "SPEAN_TLS_PRIVATE_KEY": str(mine.private_key),
            "SPEAN_CROSSBORDER_PORT": str(self.crossborder_port),
            "SPEAN_GATEWAY_TOKEN_URL": f"{keycloak.url}/realms/{self.side.realm}/protocol/openid-connect/token",
            "SPEAN_GATEWAY_CLIENT_ID": self.side.gateway,
            "SPEAN_GATEWAY_CLIENT_SECRET": keycloak.client_secrets()[secret_name(self.side.gateway)],
        }
