"""The OpenAPI documents `contracts/` publishes, as each service builds them: what a ministry system or
a foreign team writes its client against. `make contracts-release` writes them; a test holds the
published files to what the services serve.

    uv run python -m tests.support.published
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from spean_identification.app import build as identification
from spean_identification.settings import IdentificationSettings
from spean_referral.app import build as referral
from spean_referral.settings import ReferralSettings
from spean_registry.app import build as registry
from spean_registry.settings import RegistrySettings
from spean_repatriation.app import build as repatriation
from spean_repatriation.crossborder import crossborder_app
from spean_repatriation.exchange import Exchange
from spean_repatriation.settings import RepatriationSettings

CONTRACTS = Path(__file__).parents[2] / "contracts"
# No server is reached: a document is built from the routes alone, which no setting changes.
UNREACHED: dict[str, Any] = {
    "database_url": "postgresql://unused@localhost/unused",
    "kafka_bootstrap": "localhost:9",
    "keycloak_url": "http://localhost:9",
}
UNUSED_KEY = base64.b64encode(bytes(32)).decode()


def _repatriation_settings() -> RepatriationSettings:
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return RepatriationSettings(
        **UNREACHED,
        signing_key=key.decode(),
        signing_key_id="khm-sop-1",
        master_key=UNUSED_KEY,
        tls_certificate=Path("unused.pem"),
        tls_private_key=Path("unused.key"),
        gateway_token_url="http://localhost:9/token",
        gateway_client_id="unused",
        gateway_client_secret="unused",
    )


def _national_repatriation() -> FastAPI:
    app = repatriation(_repatriation_settings())
    # Either country's instance serves the same API; its title names the country it runs for.
    app.title = "Spean repatriation"
    return app


def _crossborder_listener() -> FastAPI:
    listener = crossborder_app(FastAPI(), Exchange.from_settings(_repatriation_settings()))
    listener.title = "Spean repatriation: cross-border listener"
    return listener


PUBLISHED: dict[str, Callable[[], FastAPI]] = {
    "openapi/identification.json": lambda: identification(
        IdentificationSettings(**UNREACHED, master_key=UNUSED_KEY, match_key_secret=UNUSED_KEY)
    ),
    "openapi/referral.json": lambda: referral(ReferralSettings(**UNREACHED)),
    "openapi/registry.json": lambda: registry(RegistrySettings(**UNREACHED)),
    "openapi/repatriation.json": _national_repatriation,
    "repatriation/openapi.json": _crossborder_listener,
}


def document(name: str) -> dict[str, Any]:
    """The OpenAPI document published at `contracts/<name>`, as its service builds it now."""
    return PUBLISHED[name]().openapi()


def text(openapi: dict[str, Any]) -> str:
    return json.dumps(openapi, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    for name in PUBLISHED:
        path = CONTRACTS / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text(document(name)))
        print(f"wrote contracts/{name}")


if __name__ == "__main__":
    main()
