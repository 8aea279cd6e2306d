"""Who may knock on which door: mutual TLS pins each counterpart's certificate, counterpart tokens
open the cross-border listener only, and personal data crosses only with consent, read with a purpose."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from spean_local.pki import country_credentials
from spean_local.pytest_plugin import TokenFactory
from tests.support.app import broken, scalar
from tests.support.repatriation import InstanceFactory, post_jws, return_request, tls_client


async def test_only_the_configured_counterparts_certificate_gets_through_the_handshake(
    countries: InstanceFactory, pki: Path, machine_token: TokenFactory
) -> None:
    kh, vn = await countries(borders=("KHM",))
    token = machine_token("vn-repatriation-gateway", "vn-counterpart")
    thailand = country_credentials(pki, "THA")  # issued by the same authority, but not a counterpart

    async with tls_client(vn.credentials, kh.credentials) as counterpart:
        allowed = await post_jws(counterpart, kh.border_url, "not-a-jws", token)
    assert (allowed.status_code, allowed.json()["reason"]) == (400, "malformed")

    for stranger in (thailand, kh.credentials):
        async with tls_client(stranger, kh.credentials) as client:
            with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, ssl.SSLError)):
                await post_jws(client, kh.border_url, "not-a-jws", token)
    anonymous = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=kh.credentials.certificate_pem())
    anonymous.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    async with httpx.AsyncClient(verify=anonymous) as client:
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, ssl.SSLError)):
            await post_jws(client, kh.border_url, "not-a-jws", token)


async def test_counterpart_tokens_open_the_cross_border_listener_and_nothing_else(
    countries: InstanceFactory, machine_token: TokenFactory
) -> None:
    kh, vn = await countries(borders=("KHM",))
    counterpart = {"Authorization": f"Bearer {machine_token('vn-repatriation-gateway', 'vn-counterpart')}"}
    own_gateway = machine_token("kh-repatriation-gateway")

    domestic = await kh.api.get("/repatriations", headers=counterpart)
    assert domestic.status_code == 401
    assert "issuer" in domestic.json()["detail"]
    async with tls_client(vn.credentials, kh.credentials) as client:
        national = await post_jws(client, kh.border_url, "x", own_gateway)
    assert national.status_code == 401
    assert "issuer" in national.json()["detail"]


async def test_no_personal_data_crosses_without_consent_and_every_read_names_its_purpose(
    countries: InstanceFactory, machine_token: TokenFactory
) -> None:
    kh, vn = await countries()
    no_consent = {**return_request(origin="VNM", claimed_nationality="VNM"), "consent": None}
    refused = await kh.api.post("/repatriations", json=no_consent, headers=kh.officer)
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "path": "body.consent",
        "rule": "consent-required",
        "message": "sharing-cross-border consent",
    }
    assert await scalar(kh.settings, "SELECT count(*) FROM repatriation") == 0

    reference = (
        await kh.api.post(
            "/repatriations", json=return_request(origin="VNM", claimed_nationality="VNM"), headers=kh.officer
        )
    ).json()["reference"]

    await vn.reached(reference, "requested")
    unstated = await vn.api.get(f"/repatriations/{reference}/person", headers=vn.officer)
    assert unstated.status_code == 422
    blank = await vn.api.get(f"/repatriations/{reference}/person", params={"purpose": " " * 8}, headers=vn.officer)
    assert (blank.status_code, broken(blank)) == (422, [("query.purpose", "purpose_required")])
    read = await vn.api.get(
        f"/repatriations/{reference}/person", params={"purpose": "identity verification"}, headers=vn.officer
    )
    assert read.json()["names"] == ["Sreyneang Example"]
    assert set(read.json()) == {
        "names",
        "sex",
        "birth_date",
        "estimated_age",
        "claimed_nationality",
        "place_of_origin",
        "is_child",
    }
    assert await scalar(vn.settings, "SELECT purpose FROM person_read") == "identity verification"
    before_read = datetime.now(UTC).isoformat()
    kh_read = await kh.api.get(
        f"/repatriations/{reference}/person", params={"purpose": "shelter placement"}, headers=kh.officer
    )
    assert kh_read.status_code == 200
    auditor = {"Authorization": f"Bearer {machine_token('operations-console')}"}
    trail = await kh.api.get("/audit", params={"reference": reference}, headers=auditor)
    assert [(r["reference"], r["agency"], r["purpose"]) for r in trail.json()] == [
        (reference, "MOSVY", "shelter placement")
    ]
    since, until = [
        (await kh.api.get("/audit", params={moment: before_read, "agency": "MOSVY"}, headers=auditor)).json()
        for moment in ("since", "until")
    ]
    assert ([r["purpose"] for r in since], until) == (["shelter placement"], [])
    assert (await kh.api.get("/audit", headers=kh.officer)).status_code == 403
    verified = await kh.api.get("/audit/verify", headers=auditor)
    assert (verified.json()["entries"], verified.json()["valid"]) == (1, True)
    stored = await scalar(vn.settings, "SELECT encode(sealed_person, 'escape') FROM repatriation")
    assert "Sreyneang" not in stored
