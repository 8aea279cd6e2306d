"""Process settings a service applies when it is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from spean_kit.settings import ServiceSettings
from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import build


@pytest.fixture
def collector_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_an_operator_sets_how_often_the_garbage_collector_runs(collector_thresholds: tuple[int, int, int]) -> None:
    settings = ServiceSettings(
        service_name="tuned",
        database_url="postgresql://nobody@127.0.0.1:1/none",
        kafka_bootstrap="127.0.0.1:1",
        keycloak_url="http://127.0.0.1:1",
        gc_young_threshold=12_345,
    )
    build(settings, background=False)
    assert gc.get_threshold() == (12_345, *collector_thresholds[1:])


async def test_a_running_service_collects_garbage_without_walking_what_start_up_built(
    make_settings: SettingsFactory,
) -> None:
    app = build(await make_settings(), background=False)
    async with app.router.lifespan_context(app):
        walked_by_a_full_collection = len(gc.get_objects())
        assert gc.get_freeze_count() > 10 * walked_by_a_full_collection
    assert gc.get_freeze_count() == 0
