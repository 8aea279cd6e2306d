"""The kit's sample service in a process of its own (migrations, relay and consumer, no HTTP listener),
as one replica of a service runs: a test can start several, stop one with SIGTERM (it shuts down as
a server does, its workers finishing their turn) or kill it with SIGKILL while it relays and consumes.

Usage: python -m tests.kit.service_process SETTINGS_JSON [COMMITS]

With COMMITS, the process kills itself (SIGKILL) as its consumer is about to commit offsets for the
COMMITS-th time: its effects are in the database, Kafka does not know, and no timing decides it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from aiokafka import AIOKafkaConsumer

from spean_kit.settings import ServiceSettings
from tests.kit.sample.app import build


def die_before_commit(commits: int) -> None:
    commit = AIOKafkaConsumer.commit
    made = 0

    async def commit_or_die(consumer: AIOKafkaConsumer, *arguments: Any, **keywords: Any) -> None:
        nonlocal made
        made += 1
        if made == commits:
            os.kill(os.getpid(), signal.SIGKILL)
        await commit(consumer, *arguments, **keywords)

    AIOKafkaConsumer.commit = commit_or_die


async def main(settings: ServiceSettings) -> None:
    app = build(settings)
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    async with app.router.lifespan_context(app):
        await stopped.wait()


if __name__ == "__main__":
    if len(sys.argv) > 2:
        die_before_commit(int(sys.argv[2]))
    asyncio.run(main(ServiceSettings.model_validate_json(sys.argv[1])))
