"""Operators learn when a service's event loop was blocked: its API, relay, consumers and their Kafka
heartbeats all stop while one task computes without yielding."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader

from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import build


def _longest_stall(reader: InMemoryMetricReader) -> float:
    data = reader.get_metrics_data()
    assert data is not None
    points = [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "spean.event_loop.stall"
        for point in metric.data.data_points
    ]
    return max(point.max for point in points if isinstance(point, HistogramDataPoint))


async def test_a_blocked_event_loop_is_measured_and_a_long_block_logged(
    make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    reader = InMemoryMetricReader()
    app = build(await make_settings(), metric_readers=(reader,))
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.6)
        with caplog.at_level(logging.WARNING, logger="spean_kit.stalls"):
            time.sleep(1.5)  # noqa: ASYNC251 - the point: a handler computing without yielding
            await asyncio.sleep(0.6)
        longest = _longest_stall(reader)

    assert longest >= 1.0
    blocked = [record for record in caplog.records if record.getMessage() == "event loop blocked"]
    assert blocked
    assert max(record.__dict__["seconds"] for record in blocked) >= 1.0
