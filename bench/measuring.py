"""What the benchmarks measure with: wall-clock and CPU time of a block of work, and inputs held ready
outside Python's garbage collections."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import psutil

T = TypeVar("T")


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    while not await check():  # noqa: ASYNC110 - polls the database; there is no event to wait on
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class Measured:
    """What some work took: wall-clock seconds, CPU seconds of this process (all its threads), and CPU
    seconds of the whole machine (this process, Kafka, PostgreSQL and the rest)."""

    wall: float
    cpu: float
    machine: float

    def __add__(self, other: Measured) -> Measured:
        return Measured(self.wall + other.wall, self.cpu + other.cpu, self.machine + other.machine)

    def line(self, name: str, events: int) -> str:
        return (
            f"{name:<42} {events / self.wall:>8.0f} events/s {1e6 * self.cpu / events:>6.1f} µs CPU/event here "
            f"(busy {100 * self.cpu / self.wall:3.0f}%), {1e6 * self.machine / events:>6.1f} on the machine"
        )


class Stopwatch:
    """Measures the block it wraps: `with Stopwatch() as watch: ...`, then `watch.measured`."""

    measured: Measured

    def __enter__(self) -> Stopwatch:
        psutil.cpu_percent()  # starts the machine-wide interval that the call in __exit__ ends
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        wall, cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu
        self.measured = Measured(wall, cpu, psutil.cpu_percent() / 100 * (psutil.cpu_count() or 1) * wall)


def unwalked(inputs: T) -> T:
    """`inputs` (with everything else made so far) left out of Python's garbage collections, until a
    service's shutdown puts them back."""
    gc.freeze()
    return inputs
