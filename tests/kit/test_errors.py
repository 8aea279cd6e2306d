"""Errors of the HTTP layer itself answer in the problem+json shape, with what a client needs to recover."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from spean_contracts import spec_for_model
from spean_contracts.events import CaseIdentified
from spean_kit.errors import install_error_handlers
from tests.support.app import broken


class Internal(BaseModel):
    count: int


def cases_api() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/cases/{case_id}/consents")
    async def consents(case_id: str) -> list[str]:
        return []

    @app.post("/cases/{case_id}/consents", status_code=201)
    async def record(case_id: str) -> None:
        return None

    @app.delete("/cases/{case_id}")
    async def erase(case_id: str) -> None:
        return None

    @app.post("/cases/{case_id}/identification")
    async def identify(case_id: str) -> dict[str, Any]:
        # The path takes any text: looser than the event's case id, as an API's rule may be by mistake.
        example = spec_for_model(CaseIdentified).examples[0]
        return CaseIdentified.model_validate({**example, "case_id": case_id}).model_dump(mode="json")

    @app.get("/fail")
    async def fail() -> None:
        raise RuntimeError("a defect")

    @app.get("/count")
    async def count() -> Internal:
        return Internal.model_validate({"count": "many"})

    return app


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=cases_api()), base_url="http://api")


async def test_a_method_the_resource_does_not_take_is_told_every_method_it_takes() -> None:
    async with client() as api:
        answer = await api.put("/cases/c-1/consents", json={})

    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["allow"] == "GET, POST"


async def test_a_request_the_api_let_through_but_its_event_cannot_carry_is_refused_with_the_events_field() -> None:
    async with client() as api:
        answer = await api.post("/cases/c-1/identification")
        broken_inside = await api.get("/count")

    assert answer.status_code == 422
    assert answer.json()["type"] == "urn:kh:spean:problem:contract"
    assert broken(answer) == [("event.case_id", "string_pattern_mismatch")]
    assert broken_inside.status_code == 500, "a model of the service's own is its own error, not the caller's"


async def test_an_unexpected_error_is_answered_and_goes_no_further() -> None:
    async with client() as api:
        failed = await api.get("/fail")

    # The in-process transport raises whatever the app passes on to its server, as a TLS server drops
    # the connection then: the caller would never read the 500.
    assert (failed.status_code, failed.headers["content-type"]) == (500, "application/problem+json")
    assert "a defect" not in failed.text
