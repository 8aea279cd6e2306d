"""Messages that must not move a case: forged, signed by a stranger key, replayed, out of order,
off the chain, about an unknown case, or a step the case is not at, or whose body is odd anywhere. Each
is refused with a signed error naming the reason (or, for a replay, acknowledged as a duplicate) and
changes nothing."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from spean_contracts.fields import local_today
from spean_contracts.sop import STEP, CaseLink, ErrorDocument, Kind, Message, Receipt, digest, open_answer, sign
from spean_contracts.vocabulary import Country
from spean_local.pytest_plugin import TokenFactory
from tests.support.app import scalar
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


async def test_a_certificate_dated_before_the_handover_it_certifies_is_refused_where_it_arrives(
    fake: FakeVietNam,
) -> None:
    reference, head = await khmer_request(fake)
    for sequence, kind, body in (
        (2, Kind.VERIFICATION_RESULT, VERIFIED),
        (3, Kind.ACCEPTANCE, {"travel_document_issued": True}),
    ):
        jws = fake.signed(fake.message(kind, [(reference, sequence, head)], body))
        assert (await fake.post(jws)).status_code == 200
        head = digest(jws)
    handover_date = (local_today() + timedelta(days=4)).isoformat()
    proposal = await fake.kh.api.post(
        "/handovers",
        json={"references": [reference], "border_gate": "moc-bai-bavet", "handover_date": handover_date},
        headers=fake.kh.officer,
    )
    assert proposal.status_code == 201, proposal.text
    handover_id = proposal.json()["handover_id"]
    minutes = await fake.kh.api.post(
        f"/handovers/{handover_id}/minutes",
        json={"handed_over_at": datetime.now(UTC).isoformat()},
        headers=fake.kh.officer,
    )
    assert minutes.status_code == 200, minutes.text
    head = (await fake.kh.show(reference))["messages"][-1]["digest"]

    def certificate(day: date) -> str:
        body = {"handover_id": handover_id, "issued_on": day.isoformat()}
        return fake.signed(fake.message(Kind.RETURN_CERTIFICATE, [(reference, 6, head)], body))

    early = await fake.post(certificate(local_today() - timedelta(days=1)))
    on_the_day = await fake.post(certificate(local_today()))

    assert (early.status_code, early.json()["reason"]) == (409, "step-not-allowed"), early.text
    assert "before the handover" in early.json()["detail"]
    assert (on_the_day.status_code, on_the_day.json()["status"]) == (200, "stored"), on_the_day.text
    assert (await fake.kh.show(reference))["state"] == "certified"


async def test_a_message_dated_ahead_of_its_receipt_or_before_what_it_follows_is_refused(fake: FakeVietNam) -> None:
    reference, head = await khmer_request(fake)
    asked_at = datetime.fromisoformat((await fake.kh.show(reference))["messages"][0]["sent_at"])

    def dated(sent_at: datetime) -> str:
        message = fake.message(Kind.VERIFICATION_REQUEST, [(reference, 2, head)], {"needs": []})
        return fake.signed(message.model_copy(update={"sent_at": sent_at}))

    # A server writing its local time as UTC runs seven hours ahead.
    ahead = await fake.post(dated(datetime.now(UTC) + timedelta(hours=7)))
    backdated = await fake.post(dated(asked_at - timedelta(hours=1)))
    drifting = await fake.post(dated(asked_at - timedelta(minutes=4)))

    assert (ahead.status_code, ahead.json()["reason"]) == (400, "malformed"), ahead.text
    assert ahead.json()["detail"].startswith("sent_at: after_receipt")
    assert (backdated.status_code, backdated.json()["reason"]) == (400, "malformed"), backdated.text
    assert backdated.json()["detail"].startswith("sent_at: before_previous")
    assert (drifting.status_code, drifting.json()["status"]) == (200, "stored"), drifting.text


def vector_request() -> dict[str, Any]:
    """The body of the published test vector's return request."""
    published = (Path(__file__).parents[4] / "contracts/repatriation/vectors/01-return-request.jws").read_text()
    body: dict[str, Any] = json.loads(
        jwt.api_jws.decode_complete(published.strip(), options={"verify_signature": False})["payload"]
    )["body"]
    return body


# Values a counterpart's system may put anywhere in a body: wrong types, extremes, text no column keeps.
ODD_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    2**63,
    1e308,
    "",
    "x" * 3000,
    "9999-12-31T23:59:59-14:00",
    "0001-01-01",
    "\u202e\u0007",
    [],
    {},
    ["x"] * 50,
)
REMOVED = object()


def _places(value: Any, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a JSON value, the value's own first, as paths of keys and indexes."""
    if isinstance(value, dict):
        return [at, *(place for key, item in value.items() for place in _places(item, (*at, key)))]
    if isinstance(value, list):
        return [at, *(place for index, item in enumerate(value) for place in _places(item, (*at, index)))]
    return [at]


def _with(body: dict[str, Any], place: tuple[str | int, ...], new: Any) -> dict[str, Any]:
    """`body` with the value at `place` replaced by `new`, or removed."""
    changed = copy.deepcopy(body)
    if not place:
        return changed
    parent: Any = changed
    for step in place[:-1]:
        parent = parent[step]
    if new is REMOVED and isinstance(parent, dict):
        del parent[place[-1]]
    else:
        parent[place[-1]] = None if new is REMOVED else new
    return changed


async def test_a_return_request_with_any_field_odd_or_missing_gets_a_signed_answer_never_a_server_error(
    fake: FakeVietNam,
) -> None:
    body = vector_request()
    answers: list[tuple[tuple[str | int, ...], int, str]] = []
    for place in _places(body):
        for new in (REMOVED, *ODD_VALUES):
            reference = f"rep-vnm-{uuid.uuid4().hex[:20]}"
            message = fake.message(Kind.RETURN_REQUEST, [(reference, 1, None)], _with(body, place, new))
            response = await fake.post(fake.signed(message))
            answer = fake.answer(response) if response.status_code < 500 else None
            outcome = answer.status if isinstance(answer, Receipt) else getattr(answer, "reason", "unsigned")
            answers.append((place, response.status_code, outcome))

    assert [a for a in answers if a[1] >= 500 or a[2] == "unsigned"] == []
    assert {outcome for _, _, outcome in answers} == {"stored", "malformed", "safeguards-missing"}
    # `is_child: true` is well formed, but the vector's consent is the person's own: no child's data crosses.
    assert [place for place, _, outcome in answers if outcome == "safeguards-missing"] == [("person", "is_child")]


async def test_a_withdrawal_off_the_chain_ends_the_case_and_drops_the_message_that_waited_on_it(
    fake: FakeVietNam,
) -> None:
    asked = vector_request()
    reference = f"rep-vnm-{uuid.uuid4().hex[:20]}"
    request = await fake.post(fake.signed(fake.message(Kind.RETURN_REQUEST, [(reference, 1, None)], asked)))
    assert request.json()["status"] == "stored", request.text
    # Viet Nam's second message crossed one of Cambodia's and was refused: its third, the person's data
    # corrected, waits here for the second for ever.
    correction = fake.signed(
        fake.message(
            Kind.IDENTITY_CORRECTION,
            [(reference, 3, "sha256:" + "1" * 64)],
            {"person": asked["person"], "consent": asked["consent"], "reason": "documents-verified"},
        )
    )
    waiting = await fake.post(correction)
    withdrawal = fake.message(Kind.WITHDRAWAL, [(reference, 4, digest(correction))], {"reason": "consent-withdrawn"})
    withdrawn = await fake.post(fake.signed(withdrawal))

    shown = await fake.kh.show(reference)
    assert (waiting.status_code, withdrawn.status_code) == (202, 200)
    assert (shown["state"], [m["kind"] for m in shown["messages"]]) == ("withdrawn", ["return-request", "withdrawal"])
    assert await scalar(fake.kh.settings, "SELECT count(*) FROM parked_message") == 0
    assert await scalar(fake.kh.settings, "SELECT count(*) FROM repatriation WHERE sealed_person IS NULL") == 1
