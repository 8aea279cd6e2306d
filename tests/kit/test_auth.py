"""Tokens are checked locally against the realm's keys: each kind of bad token is refused, 401 or 403.

Each test runs against a realm of its own, created through Keycloak's admin API, so key rotation never
disturbs the rest of the suite.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from keycloak import KeycloakAdmin, KeycloakOpenID

from spean_kit.auth import acting_agency
from spean_local.endpoints import Endpoints
from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import build
from tests.support.app import free_port, running

CASE = {"case_id": "auth-case-0001", "province": "KH-1", "sex": "male", "age_band": "25-34"}


def _client(client_id: str, *, audience: bool = True, lifespan: int | None = None) -> dict[str, object]:
    mappers: list[dict[str, object]] = [
        {
            "name": "agency",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-hardcoded-claim-mapper",
            "config": {
                "claim.name": "agency",
                "claim.value": "MOI-AHTJP",
                "jsonType.label": "String",
                "access.token.claim": "true",
            },
        }
    ]
    if audience:
        mappers.append(
            {
                "name": "audience",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {"included.client.audience": "spean-identification", "access.token.claim": "true"},
            }
        )
    attributes = {"access.token.lifespan": str(lifespan)} if lifespan else {}
    return {
        "clientId": client_id,
        "secret": f"{client_id}-secret",
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "publicClient": False,
        "protocolMappers": mappers,
        "attributes": attributes,
    }


@pytest.fixture
def realm(servers: Endpoints) -> Iterator[tuple[str, KeycloakAdmin]]:
    name = f"kit-{uuid.uuid4().hex[:8]}"
    admin = KeycloakAdmin(
        server_url=servers.keycloak_url, username=servers.keycloak_admin_user, password=servers.keycloak_admin_password
    )
    admin.create_realm(
        {
            "realm": name,
            "enabled": True,
            "roles": {"realm": [{"name": "screener"}]},
            "clients": [
                _client("screener-system"),
                _client("roleless-system"),
                _client("elsewhere-system", audience=False),
                _client("short-lived-system", lifespan=1),
                {"clientId": "spean-identification", "bearerOnly": True},
            ],
            "users": [
                {
                    "username": f"service-account-{c}",
                    "enabled": True,
                    "serviceAccountClientId": c,
                    "realmRoles": ["screener"],
                }
                for c in ("screener-system", "elsewhere-system", "short-lived-system")
            ]
            + [
                {
                    "username": "service-account-roleless-system",
                    "enabled": True,
                    "serviceAccountClientId": "roleless-system",
                }
            ],
        }
    )
    admin.change_current_realm(name)
    yield name, admin
    admin.change_current_realm("master")
    admin.delete_realm(name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token(servers: Endpoints, realm: str, client_id: str) -> str:
    oidc = KeycloakOpenID(
        server_url=servers.keycloak_url, realm_name=realm, client_id=client_id, client_secret_key=f"{client_id}-secret"
    )
    access: str = oidc.token(grant_type="client_credentials")["access_token"]
    return access


async def test_each_bad_token_is_refused_and_a_good_one_accepted(
    servers: Endpoints,
    realm: tuple[str, KeycloakAdmin],
    make_settings: SettingsFactory,
    moi_token: Callable[[], str],
) -> None:
    name, _ = realm
    settings = await make_settings(realm=name)
    good = _token(servers, name, "screener-system")
    claims = jwt.decode(good, options={"verify_signature": False})
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, impostor, algorithm="RS256", headers={"kid": jwt.get_unverified_header(good)["kid"]})
    short_lived = _token(servers, name, "short-lived-system")
    tokens = {
        "good": good,
        "none": None,
        "garbage": "not-a-jwt",
        "bad signature": forged,
        "wrong issuer": moi_token(),
        "wrong audience": _token(servers, name, "elsewhere-system"),
        "missing role": _token(servers, name, "roleless-system"),
    }
    async with running(build(settings, background=False)) as client:

        async def call(token: str | None) -> tuple[int, str]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {**CASE, "case_id": f"auth-{uuid.uuid4().hex[:12]}"}
            answer = await client.post("/cases", json=body, headers=headers)
            return answer.status_code, answer.json().get("detail", "")

        results = {label: await call(token) for label, token in tokens.items()}
        await asyncio.sleep(
            max(0.0, jwt.decode(short_lived, options={"verify_signature": False})["exp"] - time.time() + 1)
        )
        results["expired"] = await call(short_lived)

    assert results == {
        "good": (201, ""),
        "none": (401, "a bearer token is required"),
        "garbage": (401, "the bearer token is not a JWT"),
        "bad signature": (401, "the token's signature is invalid"),
        "wrong issuer": (401, "the token was issued by an issuer this service does not trust"),
        "wrong audience": (401, "the token is not meant for spean-identification"),
        "missing role": (403, "this needs one of the roles: screener"),
        "expired": (401, "the token has expired"),
    }


async def test_a_rotated_realm_key_is_picked_up_and_a_removed_one_refused(
    servers: Endpoints, realm: tuple[str, KeycloakAdmin], make_settings: SettingsFactory
) -> None:
    name, admin = realm
    settings = await make_settings(realm=name, jwks_max_age_seconds=0.5)
    old_token = _token(servers, name, "screener-system")
    async with running(build(settings, background=False)) as client:
        assert (await client.post("/cases", json=CASE, headers=bearer(old_token))).status_code == 201

        old_providers = [
            c["id"]
            for c in admin.get_components({"type": "org.keycloak.keys.KeyProvider"})
            if c["providerId"] == "rsa-generated"
        ]
        realm_id = admin.get_realm(name)["id"]
        admin.create_component(
            {
                "name": "rotated-rsa",
                "providerId": "rsa-generated",
                "providerType": "org.keycloak.keys.KeyProvider",
                "parentId": realm_id,
                "config": {"priority": ["500"], "keySize": ["2048"], "algorithm": ["RS256"]},
            }
        )
        new_token = _token(servers, name, "screener-system")
        assert jwt.get_unverified_header(new_token)["kid"] != jwt.get_unverified_header(old_token)["kid"]
        second = {**CASE, "case_id": "auth-case-0002"}
        assert (await client.post("/cases", json=second, headers=bearer(new_token))).status_code == 201

        for provider in old_providers:
            admin.delete_component(provider)
        await asyncio.sleep(1)  # past jwks_max_age_seconds: the next request refreshes the keys
        third = {**CASE, "case_id": "auth-case-0003"}
        refused = await client.post("/cases", json=third, headers=bearer(old_token))

    assert refused.status_code == 401
    assert refused.json()["detail"] == "the token is signed by a key this realm does not publish"


async def test_a_service_reaching_keycloak_at_an_inner_address_trusts_the_issuer_its_tokens_name(
    servers: Endpoints, realm: tuple[str, KeycloakAdmin], make_settings: SettingsFactory
) -> None:
    """In a cluster a service reaches Keycloak at its Service's address, while Keycloak names itself in
    tokens by its public hostname. Here the public address is the one tokens are asked at, and the
    inner one is the same Keycloak under another name."""
    name, _ = realm
    inner = servers.keycloak_url.replace("127.0.0.1", "localhost")
    assert inner != servers.keycloak_url
    token = _token(servers, name, "screener-system")
    split = await make_settings(realm=name, keycloak_url=inner, keycloak_public_url=servers.keycloak_url)
    unsplit = await make_settings(realm=name, keycloak_url=inner)
    answers = []
    for settings in (split, unsplit):
        async with running(build(settings, background=False)) as client:
            body = {**CASE, "case_id": f"auth-{uuid.uuid4().hex[:12]}"}
            answers.append(await client.post("/cases", json=body, headers=bearer(token)))

    assert jwt.decode(token, options={"verify_signature": False})["iss"] == f"{servers.keycloak_url}/realms/{name}"
    assert answers[0].status_code == 201, answers[0].text
    assert (answers[1].status_code, answers[1].json()["detail"]) == (
        401,
        "the token was issued by an issuer this service does not trust",
    )


async def test_a_token_shown_while_keycloak_is_out_of_reach_is_answered_503_not_401(
    servers: Endpoints, make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    # Tokens name the public address; the service fetches the keys at an inner one, which is down.
    settings = await make_settings(
        keycloak_url=f"http://127.0.0.1:{free_port()}", keycloak_public_url=servers.keycloak_url
    )
    async with running(build(settings, background=False)) as client:
        body = {**CASE, "case_id": f"auth-{uuid.uuid4().hex[:12]}"}
        answer = await client.post("/cases", json=body, headers=bearer(moi_token()))

    assert answer.status_code == 503, answer.text
    assert answer.json()["type"] == "urn:kh:spean:problem:unavailable"
    assert int(answer.headers["retry-after"]) > 0
    assert "www-authenticate" not in answer.headers, "the token is not in doubt: no need to sign in again"


@pytest.mark.parametrize(
    ("agency", "office", "acting"),
    [
        ("MOSVY", "MOSVY-POIPET-TC", "MOSVY-POIPET-TC"),
        ("MOSVY", None, "MOSVY"),
        ("MOSVY", "MOJ", "MOSVY"),
        ("MOSVY", "MOI-AHTJP", "MOSVY"),
        ("MOSVY", "MOSVYX", "MOSVY"),
        (None, "MOSVY-POIPET-TC", None),
    ],
)
def test_an_office_stands_for_its_agency_only_when_it_is_one_of_the_agencys_units(
    agency: str | None, office: str | None, acting: str | None
) -> None:
    assert acting_agency(agency, office) == acting
