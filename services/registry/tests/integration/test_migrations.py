"""A registry deployed before the court figures counted by year takes them from the decisions its
timeline already holds, every one of them, not only each court case's latest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson

from spean_kit.database import migrate
from spean_registry.app import MIGRATIONS
from spean_registry.settings import RegistrySettings
from tests.support.app import scalar
from tests.support.migrations import written_at

RECORDED = (
    "INSERT INTO timeline_entry (event_id, case_id, type, source, at, data)"
    " SELECT event_id, 'case-0001-migrated', 'kh.spean.prosecution.court-outcome-recorded.v1', '/spean/registry/MOJ',"
    " now(), data::jsonb FROM unnest($1::text[], $2::text[]) AS recorded(event_id, data)"
)


def _decision(verdict: str, decided_on: str) -> str:
    charges = [
        {"law_article": "Criminal Code art. 239", "category": "rape"},
        {"law_article": "2008 LSHTSE art. 15", "category": "trafficking"},
    ]
    return orjson.dumps(
        {
            "case_id": "case-0001-migrated",
            "court_case_id": "court-bmc-2024-0009",
            "court_province": "KH-1",
            "charges": charges,
            "verdict": verdict,
            "settlement": False,
            "restitution_ordered_khr": 4_000_000,
            "restitution_paid_khr": 0,
            "defendant_absconded": verdict == "pending",
            "decided_on": decided_on,
        }
    ).decode()


async def test_upgrading_counts_each_court_case_by_the_years_of_its_decisions(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    settings = await registry_settings()
    decisions = [
        _decision("pending", "2024-03-01"),
        _decision("pending", "2024-10-01"),
        _decision("convicted", "2025-02-01"),
    ]
    event_ids = [f"evt-000{n}-court-decision" for n in range(len(decisions))]
    await written_at(settings, MIGRATIONS, "0007", RECORDED, event_ids, decisions)

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    counted = (
        "SELECT string_agg(concat_ws(' ', year, verdict, decided_on, category, absconded, restitution_ordered),"
        " ', ' ORDER BY year) FROM court_year"
    )
    # Each year keeps its last decision, under the most serious charge.
    expected = "2024 pending 2024-10-01 trafficking t t, 2025 convicted 2025-02-01 trafficking f t"
    assert await scalar(settings, counted) == expected
