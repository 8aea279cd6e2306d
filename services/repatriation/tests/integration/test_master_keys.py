"""Replacing the master key: the persons and the signed messages kept sealed stay readable, and the old
key can then go."""

from __future__ import annotations

import base64
import logging
import os

import pytest
import sqlalchemy as sa

from spean_kit.keyring import KeyRing, Unopenable
from spean_repatriation.app import build
from spean_repatriation.sealing import SEALED
from spean_repatriation.settings import RepatriationSettings
from tests.support.app import eventually, rows, running
from tests.support.repatriation import InstanceFactory, return_request

PURPOSE = {"purpose": "prepare the family tracing"}
DONE = "every sealed value opens with the current"


async def sealed_values(settings: RepatriationSettings) -> list[tuple[str, bytes]]:
    """Every sealed value of the instance, with the record id it is bound to."""
    found = []
    for column in SEALED:
        table = column.selectable
        sealed = table.c[column.column]
        query = sa.select(table.c[column.record_id], sealed).where(sealed.is_not(None))
        found += [(str(bound_to), bytes(value)) for bound_to, value in await rows(settings, query)]
    return found


async def test_a_replaced_master_key_keeps_persons_and_messages_readable_until_its_removal(
    countries: InstanceFactory, caplog: pytest.LogCaptureFixture
) -> None:
    kh, vn = await countries()
    asked = return_request(origin="VNM", claimed_nationality="VNM")
    reference = (await kh.api.post("/repatriations", json=asked, headers=kh.officer)).json()["reference"]
    await vn.reached(reference, "requested")

    async def answered() -> bool:
        return all(m["delivery"] == "delivered" for m in (await kh.show(reference))["messages"])

    await eventually(answered, what="Viet Nam's answer kept by Cambodia")
    old, new = kh.settings.master_key, base64.b64encode(os.urandom(32)).decode()
    before = await sealed_values(kh.settings)

    rotating = kh.settings.model_copy(update={"master_key": new, "previous_master_keys": [old]})
    with caplog.at_level(logging.INFO, logger="spean_kit.keyring"):
        async with running(build(rotating)):

            async def swept() -> bool:
                return any(r.message.startswith(DONE) for r in caplog.records)

            await eventually(swept, what="the sweep sealing every value again")

    after = await sealed_values(kh.settings)
    replaced = kh.settings.model_copy(update={"master_key": new})
    async with running(build(replaced)) as client:
        person = await client.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=kh.officer)
        shown = await client.get(f"/repatriations/{reference}", headers=kh.officer)

    # The person, the request sent and Viet Nam's signed answer to it, at least.
    assert len(before) == len(after) >= 3
    (done,) = [r for r in caplog.records if r.message.startswith(DONE)]
    assert (done.resealed, done.unopenable) == (len(before), 0)  # type: ignore[attr-defined]
    for bound_to, value in after:
        KeyRing.from_base64(new).open(value, bound_to)
        with pytest.raises(Unopenable):
            KeyRing.from_base64(old).open(value, bound_to)
    assert person.status_code == 200, person.text
    assert person.json()["names"] == asked["person"]["names"]
    assert shown.status_code == 200
