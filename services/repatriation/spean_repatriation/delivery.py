"""The cross-border outbox's courier: delivers each counterpart's messages in order over mutual TLS,
retrying with growing pauses until the counterpart's signed receipt arrives. A message the
counterpart refuses with a signed error is marked refused, with the reason, and the next one goes.
Every replica runs a courier; one at a time delivers to a counterpart."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import httpx
from opentelemetry.metrics import Counter
from sqlalchemy import update
from sqlmodel import col, select

from spean_contracts.sop import MEDIA_TYPE, ErrorDocument, ProtocolFault, Receipt, digest, open_answer
from spean_kit.service import Runtime
from spean_repatriation.adapters.tables import CrossBorderOutbox, SopMessage
from spean_repatriation.exchange import Exchange, erase_delivered, hold_courier
from spean_repatriation.settings import Counterpart
from spean_repatriation.tls import client_context

log = logging.getLogger(__name__)


def _refusals(runtime: Runtime) -> Counter:
    # The meter hands back the same counter each time: a refusal is rare, so it is looked up when one comes.
    return runtime.telemetry.meter_provider.get_meter("spean_repatriation").create_counter(
        "spean.crossborder.refused",
        description="Messages a counterpart refused with a signed error, by counterpart, kind and reason",
    )


class Courier:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.settings = exchange.settings
        self._token: tuple[str, float] | None = None

    async def _bearer(self) -> str:
        """This instance's own token for counterparts (client credentials), reused until near expiry."""
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(
                self.settings.gateway_token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.settings.gateway_client_id,
                    "client_secret": self.settings.gateway_client_secret,
                },
            )
            answer.raise_for_status()
        body = answer.json()
        self._token = (body["access_token"], time.monotonic() + float(body.get("expires_in", 60)) - 30)
        return self._token[0]

    async def run(self, runtime: Runtime, stop: asyncio.Event) -> None:
        # A (re)start is when an operator has just fixed something: pending messages go out at once
        # instead of waiting out the pauses their failures earned.
        async with runtime.sessions() as session, session.begin():
            await session.exec(
                update(CrossBorderOutbox)
                .where(col(CrossBorderOutbox.status) == "pending")
                .values(next_attempt_at=datetime.now(UTC))
            )
        clients = {
            c.country: httpx.AsyncClient(verify=client_context(self.settings, c), timeout=15)
            for c in self.settings.counterparts
        }
        try:
            while not stop.is_set():
                delivered = False
                for counterpart in self.settings.counterparts:
                    delivered |= await self.deliver_next(runtime, counterpart, clients[counterpart.country])
                if delivered:
                    continue
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.delivery_poll_seconds)
                except TimeoutError:
                    continue
        finally:
            for client in clients.values():
                await client.aclose()

    async def deliver_next(self, runtime: Runtime, counterpart: Counterpart, client: httpx.AsyncClient) -> bool:
        """Try the counterpart's oldest pending message if it is due; True if it left the queue. The
        counterpart's delivery lock is held until the answer is recorded (see `hold_courier`)."""
        now = datetime.now(UTC)
        async with runtime.sessions() as session, session.begin():
            if not await hold_courier(session, counterpart.country, wait=False):
                return False
            entry = (
                await session.exec(
                    select(CrossBorderOutbox)
                    .where(CrossBorderOutbox.counterpart == counterpart.country.value)
                    .where(CrossBorderOutbox.status == "pending")
                    .order_by(col(CrossBorderOutbox.id))
                    .limit(1)
                )
            ).first()
            if entry is None or entry.next_attempt_at > now:
                return False
            stored = await session.get(SopMessage, entry.message_id)
            # Written in the same transaction as the outbox row; erased only once it left the queue.
            assert stored is not None
            assert stored.sealed_jws is not None
            jws = self.exchange.sealer.open(stored.sealed_jws, stored.message_id).decode()
            outcome = await self._post(client, counterpart, jws)
            if not isinstance(outcome, str):
                await erase_delivered(session, stored)
            if isinstance(outcome, Receipt):
                entry.status, entry.delivered_at = "delivered", datetime.now(UTC)
                entry.sealed_answer = self.exchange.sealer.seal(outcome.model_dump_json().encode(), entry.message_id)
            elif isinstance(outcome, ErrorDocument):
                entry.status, entry.refusal_reason = "refused", outcome.reason.value
                entry.sealed_answer = self.exchange.sealer.seal(outcome.model_dump_json().encode(), entry.message_id)
                log.warning(
                    "counterpart refused a message",
                    extra={"message_id": entry.message_id, "counterpart": entry.counterpart, "reason": outcome.reason},
                )
                refused = {"counterpart": entry.counterpart, "kind": stored.kind, "reason": outcome.reason.value}
                _refusals(runtime).add(1, refused)
            else:
                entry.attempts += 1
                entry.last_error = outcome[:200]
                pause = min(
                    self.settings.delivery_backoff_seconds * 2 ** (entry.attempts - 1),
                    self.settings.delivery_backoff_max_seconds,
                )
                entry.next_attempt_at = datetime.now(UTC) + timedelta(seconds=pause)
            session.add(entry)
        return entry.status != "pending"

    async def _post(
        self, client: httpx.AsyncClient, counterpart: Counterpart, jws: str
    ) -> Receipt | ErrorDocument | str:
        """The counterpart's signed answer, or why there was none (then the message is tried again)."""
        try:
            answer = await client.post(
                f"{counterpart.endpoint.rstrip('/')}/sop/v1/messages",
                content=jws.encode(),
                headers={"Content-Type": MEDIA_TYPE, "Authorization": f"Bearer {await self._bearer()}"},
            )
        except httpx.HTTPError as error:
            return f"unreachable: {type(error).__name__}"
        if answer.status_code == 401:
            self._token = None
        try:
            body = answer.json()
            signed = body.get("receipt") or body.get("signed")
            document = open_answer(signed, counterpart.keys) if isinstance(signed, str) else None
        except (ValueError, ProtocolFault):
            document = None
        if document is not None and document.message_hash == digest(jws):
            return document
        return f"no signed answer: HTTP {answer.status_code}"
