"""The repatriation protocol as published in contracts/repatriation: its schemas are the models', and
its signed test vectors verify, chain, and are refused when forged."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from spean_contracts import sop

FOLDER = Path(__file__).parents[2] / "contracts" / "repatriation"
VECTORS = FOLDER / "vectors"
MODELS: dict[str, Any] = {"message": sop.Message, "receipt": sop.Receipt, "error": sop.ErrorDocument} | {
    f"body-{kind.value}": model for kind, model in sop.BODY.items()
}


def index() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / "index.json").read_text())
    return loaded


def keys() -> dict[str, dict[str, Any]]:
    return {kid: json.loads((VECTORS / file).read_text()) for kid, file in index()["keys"].items()}


def vector(name: str) -> str:
    return (VECTORS / name).read_text().strip()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_published_schemas_are_the_models(name: str) -> None:
    published = json.loads((FOLDER / "schemas" / f"{name}.json").read_text())
    assert published == MODELS[name].model_json_schema()


def test_the_example_chain_verifies_and_links_message_to_message() -> None:
    previous = None
    kinds = []
    for entry in index()["chain"]:
        jws = vector(entry["file"])
        message = sop.open_message(jws, keys())
        assert sop.digest(jws) == entry["digest"]
        assert message.cases[0].previous == previous == entry["previous"]
        assert message.sop_step == sop.STEP[message.kind]
        previous = sop.digest(jws)
        kinds.append(message.kind.value)
    untold = (sop.Kind.REFUSAL, sop.Kind.WITHDRAWAL, sop.Kind.VERIFICATION_INFORMATION, sop.Kind.IDENTITY_CORRECTION)
    assert kinds == [k.value for k in sop.Kind if k not in untold]


def test_the_receipt_acknowledges_its_message_and_the_forgery_is_refused() -> None:
    receipt = sop.open_answer(vector(index()["receipt"]["file"]), keys())
    assert isinstance(receipt, sop.Receipt)
    assert receipt.message_hash == sop.digest(vector(index()["receipt"]["acknowledges"]))

    forged = vector(index()["forged"]["file"])
    with pytest.raises(sop.ProtocolFault) as refused:
        sop.open_message(forged, keys())
    assert refused.value.reason is sop.Reason.BAD_SIGNATURE
    error = sop.open_answer(vector(index()["forged"]["refused_with"]), keys())
    assert isinstance(error, sop.ErrorDocument)
    assert (error.reason, error.message_hash) == (sop.Reason.BAD_SIGNATURE, sop.digest(forged))


def test_a_message_whose_body_breaks_its_kind_names_the_field_and_rule() -> None:
    first = sop.open_message(vector("01-return-request.jws"), keys())
    broken = first.model_copy(update={"body": {**first.body, "exploitation_types": []}})
    key = ec.generate_private_key(ec.SECP256R1())
    jws = sop.sign(broken, key, "k1")
    with pytest.raises(sop.ProtocolFault) as refused:
        sop.open_message(jws, {"k1": sop.public_jwk(key, "k1")})
    assert refused.value.reason is sop.Reason.MALFORMED
    assert refused.value.detail == "body.exploitation_types: too_short"


def _signed_anew(name: str, sent_at: str, body: dict[str, Any]) -> tuple[str, dict[str, dict[str, Any]]]:
    """The example message `name` sent at another moment with its body changed, signed, and the key that opens it."""
    message = sop.open_message(vector(name), keys())
    changed = message.model_copy(update={"sent_at": datetime.fromisoformat(sent_at), "body": {**message.body, **body}})
    key = ec.generate_private_key(ec.SECP256R1())
    return sop.sign(changed, key, "k1"), {"k1": sop.public_jwk(key, "k1")}


def test_nothing_is_said_done_after_the_message_saying_so_was_sent() -> None:
    minutes_before = _signed_anew("06-handover-minutes.jws", "2026-11-08T02:00:00Z", {})
    minutes_after = _signed_anew("06-handover-minutes.jws", "2026-11-20T02:56:00Z", {})
    # 18:00 UTC on 20 November is 01:00 on 21 November at the border.
    certificate = _signed_anew("07-return-certificate.jws", "2026-11-20T18:00:00Z", {"issued_on": "2026-11-21"})
    certificate_ahead = _signed_anew("07-return-certificate.jws", "2026-11-20T18:00:00Z", {"issued_on": "2026-11-22"})
    assessment = {"completed_on": "2026-11-07", "by_agency": "VN-MOLISA", "return_in_best_interest": True}
    acceptance_ahead = _signed_anew(
        "04-acceptance.jws", "2026-11-06T02:00:00Z", {"best_interest_assessment": assessment}
    )

    for refused, path in (
        (minutes_before, "handed_over_at"),
        (certificate_ahead, "issued_on"),
        (acceptance_ahead, "best_interest_assessment.completed_on"),
    ):
        with pytest.raises(sop.ProtocolFault) as fault:
            sop.open_message(*refused)
        assert (fault.value.reason, fault.value.detail) == (sop.Reason.MALFORMED, f"body.{path}: dated_after_sending")
    # Four minutes ahead of the sender's own clock: within a clock's usual drift.
    assert sop.open_message(*minutes_after).body["handed_over_at"] == "2026-11-20T03:00:00Z"
    assert sop.open_message(*certificate).body["issued_on"] == "2026-11-21"


TEN_YEARS_AGO = (date.today() - timedelta(days=3653)).isoformat()


def _return_request_of(person: dict[str, Any]) -> tuple[str, dict[str, dict[str, Any]]]:
    """The example return request with the person changed, signed, and the key that opens it."""
    first = sop.open_message(vector("01-return-request.jws"), keys())
    changed = first.model_copy(update={"body": {**first.body, "person": {**first.body["person"], **person}}})
    key = ec.generate_private_key(ec.SECP256R1())
    return sop.sign(changed, key, "k1"), {"k1": sop.public_jwk(key, "k1")}


@pytest.mark.parametrize("age", [{"birth_date": TEN_YEARS_AGO}, {"birth_date": None, "estimated_age": 16}])
def test_a_person_under_18_by_their_age_does_not_cross_as_an_adult(age: dict[str, Any]) -> None:
    jws, opening = _return_request_of(age | {"is_child": False})
    with pytest.raises(sop.ProtocolFault) as refused:
        sop.open_message(jws, opening)
    assert (refused.value.reason, refused.value.detail) == (sop.Reason.MALFORMED, "body.person.is_child: child_by_age")


@pytest.mark.parametrize(
    ("age", "is_child"),
    [
        ({"birth_date": TEN_YEARS_AGO}, True),
        # Presumed a child where the age is uncertain: an adult's age with `is_child` is not refused.
        ({"birth_date": None, "estimated_age": 19}, True),
        # A birth date outweighs an estimate.
        ({"birth_date": "1999-04-02", "estimated_age": 16}, False),
    ],
)
def test_a_child_by_age_or_by_presumption_and_an_adult_by_birth_date_cross(age: dict[str, Any], is_child: bool) -> None:
    jws, opening = _return_request_of(age | {"is_child": is_child})
    assert sop.open_message(jws, opening).body["person"]["is_child"] is is_child
