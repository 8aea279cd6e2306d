"""Messages that must not move a case: forged, signed by a stranger key, replayed, out of order,
off the chain, about an unknown case, or a step the case is not at. Each is refused with a signed
error naming the reason (or, for a replay, acknowledged as a duplicate) and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from spean_contracts.sop import STEP, CaseLink, ErrorDocument, Kind, Message, Receipt, digest, open_answer, sign
from spean_contracts.vocabulary import Country
from spean_local.pytest_plugin import TokenFactory
from tests.support.repatriation import Instance, InstanceFactory, post_jws, return_request, tls_client


@dataclass
class FakeVietNam:
    """The test speaking as Viet Nam's instance, with its real key, certificate and token."""

    kh: Instance
    vn: Instance
    http: httpx.AsyncClient
    token: str

    def key(self) -> ec.EllipticCurvePrivateKey:
        return self.vn.credentials.signing_private_key()

    def message(self, kind: Kind, links: list[tuple[str, int, str | None]], body: dict[str, Any]) -> Message:
        return Message(
            message_id=uuid.uuid4().hex,
            kind=kind,
            sop_step=STEP[kind],
            sender=Country.VIET_NAM,
            receiver=Country.CAMBODIA,
            sent_at=datetime.now(UTC),
            cases=[CaseLink(reference=r, sequence=n, previous=p) for r, n, p in links],
            body=body,
        )

    def signed(self, message: Message, key: ec.EllipticCurvePrivateKey | None = None, kid: str | None = None) -> str:
        return sign(message, key or self.key(), kid or self.vn.credentials.signing_key_id)

    async def post(self, jws: str) -> httpx.Response:
        return await post_jws(self.http, self.kh.border_url, jws, self.token)

    def answer(self, response: httpx.Response) -> Receipt | ErrorDocument:
        body = response.json()
        kh_keys = {self.kh.credentials.signing_key_id: self.kh.credentials.public_jwk()}
        return open_answer(body.get("receipt") or body["signed"], kh_keys)


@pytest.fixture
async def fake(countries: InstanceFactory, machine_token: TokenFactory) -> AsyncIterator[FakeVietNam]:
    kh, vn = await countries(borders=("KHM",))
    async with tls_client(vn.credentials, kh.credentials) as http:
        yield FakeVietNam(kh, vn, http, machine_token("vn-repatriation-gateway", "vn-counterpart"))


VERIFIED = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}


async def khmer_request(fake: FakeVietNam) -> tuple[str, str]:
    """A return request Cambodia sent (Viet Nam's listener is closed, so it waits in the outbox)."""
    answer = await fake.kh.api.post(
        "/repatriations", json=return_request(origin="VNM", claimed_nationality="VNM"), headers=fake.kh.officer
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["reference"], body["messages"][0]["digest"]


async def test_a_forged_signature_or_a_stranger_key_is_refused_with_a_signed_reason(fake: FakeVietNam) -> None:
    reference, head = await khmer_request(fake)
    message = fake.message(Kind.VERIFICATION_REQUEST, [(reference, 2, head)], {"needs": []})
    impostor = ec.generate_private_key(ec.SECP256R1())

    forged = await fake.post(fake.signed(message, impostor))
    stranger = await fake.post(fake.signed(message, impostor, kid="vnm-sop-unknown"))

    assert (forged.status_code, forged.json()["reason"]) == (400, "bad-signature")
    assert (stranger.status_code, stranger.json()["reason"]) == (400, "unknown-key")
    for response, reason in ((forged, "bad-signature"), (stranger, "unknown-key")):
        error = fake.answer(response)
        assert isinstance(error, ErrorDocument)
        assert error.reason == reason
        assert error.sender is Country.CAMBODIA
    assert [m["kind"] for m in (await fake.kh.show(reference))["messages"]] == ["return-request"]


async def test_a_replayed_message_is_acknowledged_as_a_duplicate_and_applied_once(fake: FakeVietNam) -> None:
    reference, head = await khmer_request(fake)
    jws = fake.signed(fake.message(Kind.VERIFICATION_REQUEST, [(reference, 2, head)], {"needs": []}))

    first, again = await fake.post(jws), await fake.post(jws)

    assert (first.status_code, first.json()["status"]) == (200, "stored")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    receipt = fake.answer(again)
    assert isinstance(receipt, Receipt)
    assert receipt.status == "duplicate"
    shown = await fake.kh.show(reference)
    assert [m["kind"] for m in shown["messages"]] == ["return-request", "verification-request"]
    assert shown["state"] == "verifying"


async def test_reordered_messages_wait_for_their_predecessor_and_then_apply_in_order(fake: FakeVietNam) -> None:
    reference, head = await khmer_request(fake)
    second = fake.signed(fake.message(Kind.VERIFICATION_REQUEST, [(reference, 2, head)], {"needs": []}))
    third = fake.signed(fake.message(Kind.VERIFICATION_RESULT, [(reference, 3, digest(second))], VERIFIED))

    early = await fake.post(third)
    assert (early.status_code, early.json()["status"]) == (202, "parked")
    assert (await fake.kh.show(reference))["state"] == "requested"

    late = await fake.post(second)
    assert (late.status_code, late.json()["status"]) == (200, "stored")
    shown = await fake.kh.show(reference)
    assert shown["state"] == "verified"
    assert [m["kind"] for m in shown["messages"]] == ["return-request", "verification-request", "verification-result"]


async def test_broken_chain_unknown_case_and_wrong_step_are_refused_and_change_nothing(fake: FakeVietNam) -> None:
    reference, head = await khmer_request(fake)
    wrong_previous = "sha256:" + "0" * 64
    cases = {
        "broken-chain": fake.message(Kind.VERIFICATION_REQUEST, [(reference, 2, wrong_previous)], {"needs": []}),
        "unknown-case": fake.message(Kind.VERIFICATION_REQUEST, [("rep-khm-nosuchcase0001", 2, head)], {"needs": []}),
        "step-not-allowed": fake.message(Kind.ACCEPTANCE, [(reference, 2, head)], {"travel_document_issued": True}),
    }
    for reason, message in cases.items():
        response = await fake.post(fake.signed(message))
        assert response.json()["reason"] == reason, response.text
        assert response.status_code in (404, 409)
        error = fake.answer(response)
        assert isinstance(error, ErrorDocument)
        assert error.reason == reason
    wrong_sender = fake.message(Kind.HANDOVER_PROPOSAL, [(reference, 2, head)], {})
    assert (await fake.post(fake.signed(wrong_sender))).json()["reason"] == "malformed"

    shown = await fake.kh.show(reference)
    assert shown["state"] == "requested"
    assert [m["kind"] for m in shown["messages"]] == ["return-request"]
