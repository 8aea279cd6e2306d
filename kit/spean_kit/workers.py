"""Periodic background work (deadline scans and the like), one transaction per round."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:  # the service runs the workers, and imports this module to do so
    from spean_kit.service import Runtime

Job = Callable[[AsyncSession, "Runtime", datetime], Awaitable[int]]
# What `ServiceDefinition.workers` holds: runs until the event is set.
Worker = Callable[["Runtime", asyncio.Event], Awaitable[None]]


async def rounds(stop: asyncio.Event, every_seconds: float) -> AsyncIterator[None]:
    """A round at once, then one every `every_seconds`, until `stop` is set (which cuts a wait short)."""
    while not stop.is_set():
        yield
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
        except TimeoutError:
            continue


def periodic(job: Job, every_seconds: float) -> Worker:
    """A worker for `ServiceDefinition.workers` that runs `job` every `every_seconds` until stopped."""

    async def worker(runtime: Runtime, stop: asyncio.Event) -> None:
        async for _ in rounds(stop, every_seconds):
            async with runtime.sessions() as session, session.begin():
                await job(session, runtime, datetime.now(UTC))

    worker.__name__ = getattr(job, "__name__", "periodic")
    return worker
