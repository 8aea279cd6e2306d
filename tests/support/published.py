"""The OpenAPI documents `contracts/` publishes, as each service builds them: what a ministry system or
a foreign team writes its client against. `make contracts-release` writes them, unless a change would break
a client of the documents published before; a test holds the published files to what the services serve.

    uv run python -m tests.support.published [--breaking]
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from spean_contracts.compatibility import breaking_api_changes
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


def release(contracts: Path, *, breaking: bool = False) -> list[str]:
    """Writes each document under `contracts`, unless one breaks a client of the document published before
    it (`spean_contracts.compatibility`): then nothing is written, and each breaking change is returned.
    `breaking` writes them anyway, for a change agreed with the ministries and foreign teams concerned."""
    documents = {name: document(name) for name in PUBLISHED}
    problems = [
        f"contracts/{name}: {problem}"
        for name, served in documents.items()
        if (contracts / name).exists()
        for problem in breaking_api_changes(json.loads((contracts / name).read_text()), served)
    ]
    if problems and not breaking:
        return problems
    for name, served in documents.items():
        path = contracts / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text(served))
    return problems


def main() -> None:
    breaking = "--breaking" in sys.argv[1:]
    problems = release(CONTRACTS, breaking=breaking)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems and not breaking:
        sys.exit(
            "nothing written: these changes break clients written against the published documents; keep the old"
            " operation or field beside the new, or agree the break with those who call the API and pass --breaking"
        )
    print(f"wrote {', '.join(f'contracts/{name}' for name in PUBLISHED)}")


if __name__ == "__main__":
    main()
