"""How long a service's event loop goes without running anything else. One service runs its API, its
outbox relay, its consumers and their Kafka heartbeats on one loop: a handler that computes for
seconds stops them all, and Kafka, missing the heartbeat, hands the consumer's batch to another member
(or back to it, to block again). Operators see each stall as a metric and a long one in the log."""

from __future__ import annotations

import asyncio
import logging

from spean_kit.telemetry import Telemetry

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
# A third of Kafka's default session timeout (10 s): well before the consumer is dropped.
LONG_STALL_SECONDS = 1.0


async def watch_event_loop(stop: asyncio.Event, telemetry: Telemetry) -> None:
    """Times a short sleep over and over: whatever it overran by, the loop spent on something else."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        began = loop.time()
        try:
            await asyncio.wait_for(stop.wait(), timeout=TICK_SECONDS)
        except TimeoutError:
            stall = max(0.0, loop.time() - began - TICK_SECONDS)
            telemetry.event_loop_stall.record(stall)
            if stall >= LONG_STALL_SECONDS:
                log.warning("event loop blocked", extra={"seconds": round(stall, 3)})
