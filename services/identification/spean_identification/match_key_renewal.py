"""Replacing the match-key secret: the keys of earlier screenings made again under the new one.

Keys made under different secrets never match, so a new secret alone would cut every later screening off
from the earlier ones. While the old secrets are listed, the service opens the person's data of each
screening made under one of them, makes its keys again under the current secret, and publishes them
(identification.match-keys-renewed); the registry links through them. An erased case has no data left
to make keys from: none are published, and no later screening links to it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import MatchKeysRenewed
from spean_contracts.fields import local_day
from spean_identification.adapters.crypto import CaseKeys
from spean_identification.adapters.tables import AccessAudit, CaseKey, Screening
from spean_identification.domain.matchkeys import generation, match_keys
from spean_identification.domain.person import Person
from spean_identification.screenings import private_of
from spean_kit import audit
from spean_kit.database import hold_lock
from spean_kit.keyring import Unopenable
from spean_kit.service import Runtime
from spean_kit.workers import Worker, rounds

log = logging.getLogger(__name__)

RENEWAL_LOCK_NAMESPACE = 0x3A7C
# Screenings that old replicas still make under an old secret during a rollout are found by a later pass.
PASS_SECONDS = 60.0
PURPOSE = "match keys made again under a new match-key secret"


@dataclass
class Pass:
    """What one pass over the screenings did."""

    renewed: int = 0
    erased: int = 0
    unopenable: int = 0
    last: str = ""

    def report(self, current: str) -> None:
        done = {
            "renewed": self.renewed,
            "erased": self.erased,
            "unopenable": self.unopenable,
            "match_key_generation": current,
        }
        if self.unopenable:
            log.warning("screenings whose data no master key opens keep their old match keys", extra=done)
        else:
            log.info(
                "every screening's match keys are made under the current secret: the previous secrets can be removed",
                extra=done,
            )


@dataclass(frozen=True)
class Renewal:
    """The keys of screenings made under the `previous` secrets made again under `secret`."""

    secret: bytes
    previous: list[bytes]
    keys: CaseKeys
    service: str
    batch: int = 500

    @property
    def current(self) -> str:
        return generation(self.secret)

    def worker(self) -> Worker:
        """Renews, while previous secrets are listed, `batch` screenings to a transaction, a pass a minute."""

        async def renew_match_keys(runtime: Runtime, stop: asyncio.Event) -> None:
            if self.previous:
                first = True
                async for _ in rounds(stop, PASS_SECONDS):
                    done = await self._pass(runtime, stop)
                    if first or done.renewed or done.erased:
                        done.report(self.current)
                    first = False
            await stop.wait()

        return renew_match_keys

    async def _pass(self, runtime: Runtime, stop: asyncio.Event) -> Pass:
        """Every screening under an old secret, `batch` to a transaction."""
        done = Pass()
        while not stop.is_set():
            async with runtime.sessions() as session, session.begin():
                # Replicas renew one at a time: the second finds the first's work done.
                await hold_lock(session, RENEWAL_LOCK_NAMESPACE)
                read = await self.renew_batch(session, runtime, done)
            if read < self.batch:
                break
        return done

    async def renew_batch(self, session: AsyncSession, runtime: Runtime, done: Pass) -> int:
        """The next screenings under an old secret after the last one read: each one's keys made again and
        staged, its read of the person's data audited, its secret recorded. Returns how many were read."""
        made_under, current = col(Screening.match_key_generation), self.current
        old = [generation(secret) for secret in self.previous]
        rows = (
            await session.exec(
                select(Screening)
                .where(sa.or_(made_under.is_(None), made_under.in_(old)), col(Screening.screening_id) > done.last)
                .order_by(col(Screening.screening_id))
                .limit(self.batch)
                .with_for_update()
            )
        ).all()
        case_ids = {row.case_id for row in rows}
        wrapped = {
            key.case_id: key.wrapped_key
            for key in (await session.exec(select(CaseKey).where(col(CaseKey.case_id).in_(case_ids)))).all()
        }
        now = datetime.now(UTC)
        events = []
        for row in rows:
            done.last = row.screening_id
            if row.case_id not in wrapped:
                done.erased += 1
            else:
                try:
                    private = private_of(self.keys, wrapped[row.case_id], row)
                except (Unopenable, InvalidTag):
                    done.unopenable += 1
                    continue
                person = Person.model_validate(private["person"])
                day = local_day(row.encountered_at)
                renewed = match_keys(person, self.secret, screened_on=day)
                events.append(
                    MatchKeysRenewed(
                        case_id=row.case_id, screening_id=row.screening_id, match_keys=renewed, renewed_at=now
                    )
                )
                await audit.append(session, self._audited(row.screening_id, now))
                done.renewed += 1
            row.match_key_generation = current
            session.add(row)
        await runtime.stage(session, *events)
        return len(rows)

    def _audited(self, screening_id: str, at: datetime) -> AccessAudit:
        return AccessAudit(
            at=at,
            subject=self.service,
            agency="",
            screening_id=screening_id,
            purpose=PURPOSE,
            granted=True,
            reason="match keys renewed",
        )
