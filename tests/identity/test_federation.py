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
from tests.support.app import eventually
from tests.support.platform import Platform, screening
from tests.support.repatriation import InstanceFactory, return_request

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


async def test_transit_centre_staff_signing_in_at_mosvy_screen_as_the_centre_and_head_office_staff_as_mosvy(
    user_token: UserTokenFactory, platform: Platform
) -> None:
    at_poipet, at_head_office = user_token("mosvy", "kosal"), user_token("mosvy", "channy")
    agencies = []
    for token in (at_poipet, at_head_office):
        staff = {"Authorization": f"Bearer {token}"}
        screened = await platform.identification.post("/screenings", json=SCREENING, headers=staff)
        assert screened.status_code == 201, screened.text
        read = await platform.identification.get(
            f"/screenings/{screened.json()['screening_id']}", params={"purpose": "record check"}, headers=staff
        )
        agencies.append(read.json()["agency"])
    claims = jwt.decode(at_poipet, options={"verify_signature": False})

    assert agencies == ["MOSVY-POIPET-TC", "MOSVY"]
    # The national realm still stamps the ministry: the centre is MoSVY's own word for one of its units.
    assert (claims["agency"], claims["office"]) == ("MOSVY", "MOSVY-POIPET-TC")


async def test_a_consul_signs_in_at_mofaic_and_verifies_a_cambodian_found_in_viet_nam_as_mofaic(
    user_token: UserTokenFactory, machine_token: TokenFactory, platform: Platform, countries: InstanceFactory
) -> None:
    kh, vn = await countries()
    token = user_token("mofaic", "pisey")
    consul = {"Authorization": f"Bearer {token}"}
    reference = (await vn.api.post("/repatriations", json=return_request(), headers=vn.officer)).json()["reference"]
    await kh.reached(reference, "requested")
    asked = await kh.api.post(
        f"/repatriations/{reference}/verification-request", json={"needs": ["statement"]}, headers=consul
    )
    assert asked.status_code == 200, asked.text
    await vn.reached(reference, "verifying")
    information = f"/repatriations/{reference}/verification-information"
    answered = await vn.api.post(information, json={"statement": "Recruited in Kampot."}, headers=vn.officer)
    assert answered.status_code == 200, answered.text

    async def crossed() -> bool:
        return any(m["kind"] == "verification-information" for m in (await kh.show(reference))["messages"])

    await eventually(crossed, what="the answer received in Cambodia")
    read = await kh.api.get(information, params={"purpose": "consular interview"}, headers=consul)
    verified = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}
    result = await kh.api.post(f"/repatriations/{reference}/verification-result", json=verified, headers=consul)
    accepted = await kh.api.post(
        f"/repatriations/{reference}/acceptance", json={"travel_document_issued": True}, headers=consul
    )
    await vn.reached(reference, "accepted")
    auditor = {"Authorization": f"Bearer {machine_token('operations-console')}"}
    audit = await kh.api.get("/audit", params={"reference": reference}, headers=auditor)
    screened = await platform.identification.post("/screenings", json=SCREENING, headers=consul)
    claims = jwt.decode(token, options={"verify_signature": False})

    assert read.status_code == 200, read.text
    assert read.json()[0]["information"]["statement"] == "Recruited in Kampot."
    assert (result.status_code, accepted.status_code) == (200, 200)
    assert [(entry["agency"], entry["purpose"]) for entry in audit.json()] == [("MOFAIC", "consular interview")]
    assert claims["agency"] == "MOFAIC"
    assert "repatriation-officer" in claims["realm_access"]["roles"]
    assert screened.status_code == 403, "a consul screens no one in Cambodia"


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
