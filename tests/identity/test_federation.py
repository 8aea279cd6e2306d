"""Staff sign in with their own agency's identity, brokered into the national realm; the Vietnamese
counterpart's tokens are worth nothing to the national services. Real Keycloak, real login pages."""

from __future__ import annotations

import re

import jwt
import pytest
from fastapi import FastAPI

from spean_kit.auth import KeySet, TokenVerifier
from spean_local.endpoints import Endpoints
from spean_local.login import SignInFailed, broker_sign_in
from spean_local.pytest_plugin import TokenFactory, UserTokenFactory
from tests.support.platform import Platform, screening
from tests.support.repatriation import InstanceFactory

SCREENING = screening("Federation Example", encounter="police-operation", province="KH-12")


def protected_routes(platform: Platform, *extra: tuple[str, FastAPI]) -> list[tuple[str, str, str]]:
    """Every (service, method, path) of the national services' APIs, path parameters filled in."""
    found = []
    for service, app in [*platform.apps.items(), *extra]:
        for path, operations in app.openapi()["paths"].items():
            if not path.startswith("/health"):
                found += [(service, method.upper(), re.sub(r"\{[^}]+\}", "x-1", path)) for method in operations]
    return found


async def test_a_police_officer_signs_in_at_moi_and_gets_a_national_token_with_moi_and_mapped_roles(
    servers: Endpoints, user_token: UserTokenFactory, platform: Platform
) -> None:
    token = user_token("moi", "sokha")
    verifier = TokenVerifier(
        issuer=f"{servers.keycloak_url}/realms/spean",
        audience="spean-identification",
        keys=KeySet(f"{servers.keycloak_url}/realms/spean/protocol/openid-connect/certs"),
    )
    principal = await verifier.verify(token)

    assert principal.agency == "MOI-AHTJP"
    assert "screener" in principal.roles
    assert not principal.roles & {"co-signer", "determiner", "analyst", "operator"}
    screened = await platform.identification.post(
        "/screenings", json=SCREENING, headers={"Authorization": f"Bearer {token}"}
    )
    assert screened.status_code == 201, screened.text


async def test_an_ngo_worker_carries_the_organisation_her_agency_realm_vouches_for(
    user_token: UserTokenFactory,
) -> None:
    claims = jwt.decode(user_token("ngo-shelter", "sreymom"), options={"verify_signature": False})

    assert claims["agency"] == "NGO"
    assert claims["organisation"] == "prov-ngo-shelter-01"
    assert {"provider", "screener"} <= set(claims["realm_access"]["roles"])


async def test_a_user_with_no_mapped_role_is_refused_by_every_protected_endpoint(
    user_token: UserTokenFactory, platform: Platform, countries: InstanceFactory
) -> None:
    kh, _ = await countries(borders=())
    clients = {"repatriation": kh.api}
    headers = {"Authorization": f"Bearer {user_token('moi', 'dara')}"}
    routes = protected_routes(platform, ("repatriation", kh.app))
    assert len(routes) > 30

    answers = {
        (service, method, path): (
            await (clients[service] if service in clients else platform.client(service)).request(
                method, path, headers=headers, json={}
            )
        )
        for service, method, path in routes
    }

    assert {key: answer.status_code for key, answer in answers.items() if answer.status_code != 403} == {}
    assert all(answer.headers["content-type"] == "application/problem+json" for answer in answers.values())


async def test_a_wrong_password_at_the_agency_is_refused_with_keycloaks_reason(servers: Endpoints) -> None:
    with pytest.raises(SignInFailed, match="password"):
        broker_sign_in(servers.keycloak_url, "moi", "sokha", "not-the-password")


async def test_a_counterpart_token_is_refused_by_every_national_service(
    machine_token: TokenFactory, platform: Platform
) -> None:
    headers = {"Authorization": f"Bearer {machine_token('vn-mps-system', realm='vn-counterpart')}"}

    for service, method, path in protected_routes(platform):
        answer = await platform.client(service).request(method, path, headers=headers, json={})
        assert answer.status_code == 401, (service, method, path, answer.text)
        assert "issuer" in answer.json()["detail"]
