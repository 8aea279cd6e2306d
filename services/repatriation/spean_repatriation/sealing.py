"""Personal data and stored messages are sealed at rest (AES-256-GCM) under the service's master keys
(`spean_kit.keyring`), each value bound to its record's id. These are the columns that hold them,
which the key ring's sweep seals again under a new master key."""

from __future__ import annotations

from spean_kit.keyring import SealedColumn
from spean_repatriation.adapters.tables import CrossBorderOutbox, ParkedMessage, Repatriation, SopMessage

SEALED = [
    SealedColumn(Repatriation.__tablename__, "sealed_person", record_id="reference", order="reference"),
    SealedColumn(SopMessage.__tablename__, "sealed_jws", record_id="message_id", order="message_id"),
    SealedColumn(ParkedMessage.__tablename__, "sealed_jws", record_id="message_id", order="message_id"),
    SealedColumn(CrossBorderOutbox.__tablename__, "sealed_answer", record_id="message_id", order="id"),
]
