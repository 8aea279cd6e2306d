"""Replacing the master key: personal data stays readable throughout, and the old key can then go."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from spean_kit.keyring import KeyRing, Unopenable, WrongMasterKey
from tests.support.app import eventually, rows, running

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
PURPOSE = {"purpose": "arrange shelter placement"}


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


async def wrapped_keys(settings: IdentificationSettings) -> list[tuple[str, bytes]]:
    return [
        (case_id, bytes(wrapped))
        for case_id, wrapped in await rows(settings, "SELECT case_id, wrapped_key FROM case_key")
    ]


async def test_a_replaced_master_key_keeps_personal_data_readable_until_its_removal(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory, caplog: pytest.LogCaptureFixture
) -> None:
    old, new = new_key(), new_key()
    settings = await identification_settings(master_key=old)
    owner = auth("moi-case-system")
    async with running(build(settings)) as client:
        recorded = [(await client.post("/screenings", json=screening(), headers=owner)).json() for _ in range(3)]
    paths = [f"/screenings/{r['screening_id']}" for r in recorded]

    rotating = settings.model_copy(update={"master_key": new, "previous_master_keys": [old]})
    with caplog.at_level(logging.INFO, logger="spean_kit.keyring"):
        async with running(build(rotating)) as client:
            during = [await client.get(path, params=PURPOSE, headers=owner) for path in paths]
            added = await client.post("/screenings", json=screening(), headers=owner)

            async def swept() -> bool:
                return any(r.message.startswith("every sealed value opens with the current") for r in caplog.records)

            await eventually(swept, what="the sweep sealing every data key again")

    new_alone = KeyRing.from_base64(new)
    keys = await wrapped_keys(settings)
    assert len(keys) == 4
    for case_id, wrapped in keys:
        new_alone.open(wrapped, case_id)
        with pytest.raises(Unopenable):
            KeyRing.from_base64(old).open(wrapped, case_id)
    (done,) = [r for r in caplog.records if r.message.startswith("every sealed value opens with the current")]
    assert (done.resealed, done.unopenable) == (3, 0)  # type: ignore[attr-defined]

    replaced = settings.model_copy(update={"master_key": new})
    async with running(build(replaced)) as client:
        paths.append(f"/screenings/{added.json()['screening_id']}")
        after = [await client.get(path, params=PURPOSE, headers=owner) for path in paths]

    assert [answer.status_code for answer in during + after] == [200] * 7
    assert {answer.json()["person"]["names"][0] for answer in during + after} == {"Sok Dara"}


async def test_a_master_key_that_opens_nothing_stored_keeps_the_service_from_starting(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    async with running(build(settings)) as client:
        recorded = await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))
    assert recorded.status_code == 201

    mistaken = settings.model_copy(update={"master_key": new_key()})
    with pytest.raises(WrongMasterKey, match=r"open none of the last 1 values of case_key\.wrapped_key"):
        async with running(build(mistaken)):
            pass
    assert [case_id for case_id, _ in await wrapped_keys(settings)] == [recorded.json()["case_id"]]

    # The key it replaces given too, the service starts.
    rotating = mistaken.model_copy(update={"previous_master_keys": [settings.master_key]})
    async with running(build(rotating)) as client:
        read = await client.get(
            f"/screenings/{recorded.json()['screening_id']}", params=PURPOSE, headers=auth("moi-case-system")
        )
    assert read.status_code == 200


async def test_a_value_no_key_given_opens_is_reported_and_the_previous_keys_kept(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory, caplog: pytest.LogCaptureFixture
) -> None:
    old, new = new_key(), new_key()
    settings = await identification_settings(master_key=old)
    async with running(build(settings)) as client:
        recorded = await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))
    connection = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.schema_name})
    try:
        stray = KeyRing.from_base64(new_key()).seal(os.urandom(32), "case-stray")
        await connection.execute("INSERT INTO case_key (case_id, wrapped_key) VALUES ('case-stray', $1)", stray)
    finally:
        await connection.close()

    rotating = settings.model_copy(update={"master_key": new, "previous_master_keys": [old]})
    with caplog.at_level(logging.INFO, logger="spean_kit.keyring"):
        async with running(build(rotating)):

            async def reported() -> bool:
                return any(r.name == "spean_kit.keyring" for r in caplog.records)

            await eventually(reported, what="the sweep's report")

    (report,) = [r for r in caplog.records if r.name == "spean_kit.keyring"]
    assert (report.levelname, report.message) == (
        "WARNING",
        "sealed values no master key opens remain: keep the previous keys",
    )
    assert (report.resealed, report.unopenable) == (1, 1)  # type: ignore[attr-defined]
    keys = dict(await wrapped_keys(settings))
    KeyRing.from_base64(new).open(keys[recorded.json()["case_id"]], recorded.json()["case_id"])
    assert keys["case-stray"] == stray
