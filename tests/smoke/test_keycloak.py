"""Keycloak is a real identity server: a machine client's token verifies against the realm's keys."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from keycloak import KeycloakOpenID

from spean_local.endpoints import Endpoints


@pytest.fixture
def moi_system(servers: Endpoints) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=servers.keycloak_url,
        realm_name="spean",
        client_id="moi-case-system",
        client_secret_key=servers.keycloak_client_secrets["SPEAN_SECRET_MOI_CASE_SYSTEM"],
    )


def _signing_key(oidc: KeycloakOpenID, token: str) -> jwt.PyJWK:
    kid = jwt.get_unverified_header(token)["kid"]
    return next(key for key in jwt.PyJWKSet.from_dict(oidc.certs()).keys if key.key_id == kid)


def test_client_credentials_token_is_signed_by_the_realm(servers: Endpoints, moi_system: KeycloakOpenID) -> None:
    token = moi_system.token(grant_type="client_credentials")["access_token"]

    claims = jwt.decode(
        token,
        key=_signing_key(moi_system, token),
        algorithms=["RS256"],
        audience="spean-identification",
        issuer=f"{servers.keycloak_url}/realms/spean",
    )

    assert claims["agency"] == "MOI-AHTJP"
    assert "screener" in claims["realm_access"]["roles"]


def test_a_token_signed_by_another_key_is_rejected(moi_system: KeycloakOpenID) -> None:
    token = moi_system.token(grant_type="client_credentials")["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, impostor, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, key=_signing_key(moi_system, token), algorithms=["RS256"], audience="spean-identification")
