"""A service's master keys, and their rotation.

Values are sealed with AES-256-GCM under the current master key, each bound to its record's id (as
associated data): a sealed value copied onto another record does not open there. The previous master
keys still open what they sealed, until a sweep has sealed it again under the current key: a key can
be replaced (its cryptoperiod ended, or it may have leaked) without a moment when stored data cannot
be read, and removed once the sweep has logged that nothing needs it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.database import hold_lock
from spean_kit.service import Runtime
from spean_kit.workers import Worker

log = logging.getLogger(__name__)

NONCE = 12
RESEAL_LOCK_NAMESPACE = 0x5EA1


class Unopenable(ValueError):
    """No master key of the ring opens the value: it was sealed under a key the service no longer has,
    or for another record."""


class KeyRing:
    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        if any(len(key) != 32 for key in (current, *previous)):
            raise ValueError("a master key must be 32 bytes")
        self._keys = [AESGCM(key) for key in (current, *previous)]
        self.current_id = hashlib.sha256(current).hexdigest()[:16]

    @classmethod
    def from_base64(cls, current: str, previous: Sequence[str] = ()) -> KeyRing:
        return cls(base64.b64decode(current), [base64.b64decode(key) for key in previous])

    @property
    def rotating(self) -> bool:
        """Whether previous keys are held: values sealed under them may still need sealing again."""
        return len(self._keys) > 1

    def seal(self, plain: bytes, record_id: str) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._keys[0].encrypt(nonce, plain, record_id.encode())

    def open(self, sealed: bytes, record_id: str) -> bytes:
        return self._opened(sealed, record_id)[0]

    def resealed(self, sealed: bytes, record_id: str) -> bytes | None:
        """`sealed` sealed again under the current key; None if it already is."""
        plain, by_current = self._opened(sealed, record_id)
        return None if by_current else self.seal(plain, record_id)

    def _opened(self, sealed: bytes, record_id: str) -> tuple[bytes, bool]:
        # The current key first: all but the values a running rotation has not reached yet are under it.
        for index, key in enumerate(self._keys):
            try:
                return key.decrypt(sealed[:NONCE], sealed[NONCE:], record_id.encode()), index == 0
            except InvalidTag:
                continue
        raise Unopenable("no master key opens this value")


@dataclass(frozen=True)
class SealedColumn:
    """Where a service keeps sealed values: `column` of `table`, each bound to the row's `record_id`
    column, swept in the order of `order` (unique)."""

    table: str
    column: str
    record_id: str
    order: str

    @property
    def selectable(self) -> sa.TableClause:
        return sa.table(self.table, sa.column(self.order), sa.column(self.record_id), sa.column(self.column))


Check = Callable[[Runtime], Awaitable[None]]
SAMPLE = 20


class WrongMasterKey(RuntimeError):
    """The master keys given open none of the stored values sampled."""


def opening_stored_values(keyring: KeyRing, columns: Sequence[SealedColumn]) -> Check:
    """A start-up check: the master keys given open stored values. A service started with a wrong key
    would answer every read of personal data with an error, and seal what it records meanwhile under a
    key that opens nothing else; it refuses to start instead, and says why."""

    async def master_keys_open_stored_values(runtime: Runtime) -> None:
        async with runtime.sessions() as session:
            for column in columns:
                table = column.selectable
                sealed = table.c[column.column]
                query = (
                    sa.select(table.c[column.record_id], sealed)
                    .where(sealed.is_not(None))
                    .order_by(table.c[column.order].desc())
                    .limit(SAMPLE)
                )
                rows = (await session.execute(query)).all()
                # Any one opening will do: a single damaged value must not keep the service down.
                if rows and not any(_opens(keyring, bytes(value), str(bound_to)) for bound_to, value in rows):
                    raise WrongMasterKey(
                        f"the master keys given open none of the last {len(rows)} values of {column.table}."
                        f"{column.column}: set the key they were sealed under as the master key, or as a "
                        "previous master key while they are sealed again"
                    )

    return master_keys_open_stored_values


def _opens(keyring: KeyRing, sealed: bytes, record_id: str) -> bool:
    try:
        keyring.open(sealed, record_id)
    except Unopenable:
        return False
    return True


def resealing(keyring: KeyRing, columns: Sequence[SealedColumn], *, batch: int = 500) -> Worker:
    """A worker that, while previous keys are held, seals every value of `columns` again under the
    current key, `batch` rows to a transaction, once per start; then logs that the previous keys can go."""

    async def reseal_under_current_key(runtime: Runtime, stop: asyncio.Event) -> None:
        if keyring.rotating:
            counts = {"resealed": 0, "unopenable": 0}
            for column in columns:
                after: object = None
                while not stop.is_set():
                    async with runtime.sessions() as session, session.begin():
                        # Replicas sweep one at a time: the second finds the first's work done.
                        await hold_lock(session, RESEAL_LOCK_NAMESPACE, f"{column.table}.{column.column}")
                        after, swept = await _reseal_batch(session, keyring, column, after, batch, counts)
                    if swept < batch:
                        break
            done = {**counts, "master_key_id": keyring.current_id}
            if not stop.is_set() and counts["unopenable"]:
                log.warning("sealed values no master key opens remain: keep the previous keys", extra=done)
            elif not stop.is_set():
                log.info(
                    "every sealed value opens with the current master key: the previous keys can be removed",
                    extra=done,
                )
        await stop.wait()

    return reseal_under_current_key


async def _reseal_batch(
    session: AsyncSession, keyring: KeyRing, column: SealedColumn, after: object, batch: int, counts: dict[str, int]
) -> tuple[object, int]:
    """The next `batch` rows after `after`, their values sealed again where a previous key sealed them;
    returns the last row's order and how many rows were read."""
    table = column.selectable
    order, record_id, sealed = table.c[column.order], table.c[column.record_id], table.c[column.column]
    query = sa.select(order, record_id, sealed).where(sealed.is_not(None)).order_by(order).limit(batch)
    if after is not None:
        query = query.where(order > after)
    rows = (await session.execute(query.with_for_update())).all()
    updates = []
    for key, bound_to, value in rows:
        try:
            again = keyring.resealed(bytes(value), str(bound_to))
        except Unopenable:
            counts["unopenable"] += 1
            continue
        if again is not None:
            updates.append({"key": key, "value": again})
    if updates:
        statement = sa.update(table).where(order == sa.bindparam("key")).values({column.column: sa.bindparam("value")})
        await session.execute(statement, updates)
        counts["resealed"] += len(updates)
    return (rows[-1][0] if rows else after), len(rows)
