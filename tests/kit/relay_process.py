"""An outbox relay in a process of its own, so a test can kill it with SIGKILL mid-batch.

Usage: python -m tests.kit.relay_process DATABASE_URL SCHEMA BOOTSTRAP BATCH_SIZE
"""

from __future__ import annotations

import asyncio
import sys

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from spean_kit.database import create_engine
from spean_kit.outbox import OutboxRelay
from spean_kit.telemetry import Telemetry


async def main(database_url: str, schema: str, bootstrap: str, batch_size: int) -> None:
    engine = create_engine(database_url, schema)
    relay = OutboxRelay(
        engine, bootstrap, Telemetry(TracerProvider(), MeterProvider()), schema=schema, batch_size=batch_size
    )
    await relay.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
