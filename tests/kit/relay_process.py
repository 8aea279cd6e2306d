"""An outbox relay in a process of its own, so a test can kill it with SIGKILL mid-batch.

Usage: python -m tests.kit.relay_process DATABASE_URL SCHEMA BOOTSTRAP BATCH_SIZE [BATCHES]

With BATCHES, the process kills itself (SIGKILL) once Kafka has acknowledged its BATCHES-th batch,
before the batch's rows leave the outbox: no timing decides where the crash lands.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from spean_kit.database import create_engine
from spean_kit.outbox import OutboxRelay, PartitionBatches
from spean_kit.telemetry import Telemetry


def die_after_publish(batches: int) -> None:
    sent = PartitionBatches.sent
    made = 0

    async def sent_then_die(self: PartitionBatches) -> None:
        nonlocal made
        await sent(self)
        made += 1
        if made == batches:
            os.kill(os.getpid(), signal.SIGKILL)

    PartitionBatches.sent = sent_then_die  # type: ignore[method-assign]


async def main(database_url: str, schema: str, bootstrap: str, batch_size: int) -> None:
    engine = create_engine(database_url, schema)
    relay = OutboxRelay(
        engine, bootstrap, Telemetry(TracerProvider(), MeterProvider()), schema=schema, batch_size=batch_size
    )
    await relay.run(asyncio.Event())


if __name__ == "__main__":
    if len(sys.argv) > 5:
        die_after_publish(int(sys.argv[5]))
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
