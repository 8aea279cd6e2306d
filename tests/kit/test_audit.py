"""Tamper-evident audit trails: entries written at once by two replicas chain one after another, and an
entry edited, deleted or slipped in behind the service's back is named by the verification."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

from spean_kit.audit import GENESIS, Links, Receipt, content, entry_hash
from spean_kit.settings import ServiceSettings
from spean_local.pytest_plugin import TokenFactory
from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import SampleRead, build
from tests.support.app import eventually, rows, running, scalar, tamper, tamper_each


def _bearers(machine_token: TokenFactory) -> tuple[dict[str, str], dict[str, str]]:
    """Headers of a client whose reads are audited (a screener), and of an auditor."""
    return (
        {"Authorization": f"Bearer {machine_token('moi-case-system')}"},
        {"Authorization": f"Bearer {machine_token('operations-console')}"},
    )


def _links(contents: list[dict[str, str]]) -> list[tuple[int, dict[str, str], str, str]]:
    chained, previous = [], GENESIS
    for number, entry in enumerate(contents, 1):
        digest = entry_hash(previous, entry)
        chained.append((number, entry, previous, digest))
        previous = digest
    return chained


def _first_broken(entries: list[tuple[int, dict[str, str], str, str]]) -> int | None:
    links = Links()
    for entry in entries:
        links.follow(*entry)
    return links.first_broken


def test_the_first_edited_removed_or_inserted_entry_is_named() -> None:
    entries = _links([{"case_id": f"case-{i}", "subject": "officer-1"} for i in range(1, 6)])
    assert _first_broken(entries) is None

    edited = list(entries)
    edited[2] = (3, {"case_id": "case-999", "subject": "officer-1"}, *entries[2][2:])
    assert _first_broken(edited) == 3
    assert _first_broken(entries[:1] + entries[2:]) == 3
    slipped_in = (9, {"case_id": "case-7", "subject": "officer-2"}, entries[1][3], entries[2][3])
    assert _first_broken([*entries[:2], slipped_in, *entries[2:]]) == 9


def test_a_receipt_holds_while_its_entry_keeps_its_hash() -> None:
    entries = _links([{"case_id": f"case-{i}"} for i in range(1, 4)])

    def holds(receipt: Receipt, trail: list[tuple[int, dict[str, str], str, str]]) -> bool | None:
        links = Links(receipt)
        for entry in trail:
            links.follow(*entry)
        return links.receipt_holds

    rewritten = _links([{"case_id": "case-1"}, {"case_id": "case-9"}, {"case_id": "case-3"}])
    assert holds(Receipt(2, entries[1][3]), entries) is True
    assert holds(Receipt(2, entries[1][3]), rewritten) is False, "every link holds, but not the receipt"
    assert holds(Receipt(3, entries[2][3]), entries[:2]) is False, "the trail was cut before the receipt's entry"
    assert Links().receipt_holds is None


def test_an_entry_hashes_the_same_whatever_zone_its_time_was_written_in() -> None:
    written = SampleRead(
        case_id="case-1", subject="officer-1", at=datetime(2026, 12, 3, 20, 0, tzinfo=timezone(timedelta(hours=7)))
    )
    read_back = SampleRead(case_id="case-1", subject="officer-1", at=datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    assert content(written) == content(read_back)


async def test_reads_on_two_replicas_chain_and_tampering_is_named(
    make_settings: SettingsFactory, machine_token: TokenFactory
) -> None:
    settings = await make_settings()
    reader, auditor = _bearers(machine_token)

    async def read(client: httpx.AsyncClient, number: int) -> None:
        assert (await client.get(f"/cases/case-{number:03d}", headers=reader)).status_code == 200

    async with running(build(settings, background=False)) as one, running(build(settings, background=False)) as two:
        await asyncio.gather(*(read(one if n % 2 else two, n) for n in range(40)))
        intact = (await one.get("/audit/verify", headers=auditor)).json()
        refused = await one.get("/audit/verify", headers=reader)

        fifth = await scalar(settings, "SELECT min(id) + 4 FROM sample_read")
        subject = await scalar(settings, "SELECT subject FROM sample_read WHERE id = :id", id=fifth)
        await tamper(settings, "UPDATE sample_read SET subject = 'someone-else' WHERE id = :id", id=fifth)
        edited = (await two.get("/audit/verify", headers=auditor)).json()
        await tamper(settings, "UPDATE sample_read SET subject = :subject WHERE id = :id", subject=subject, id=fifth)
        restored = (await two.get("/audit/verify", headers=auditor)).json()

        tenth = fifth + 5
        await tamper(settings, "DELETE FROM sample_read WHERE id = :id", id=tenth)
        removed = (await two.get("/audit/verify", headers=auditor)).json()

    assert intact["entries"] == 40
    assert (intact["valid"], intact["first_broken_entry"], intact["receipt_holds"]) == (True, None, None)
    assert refused.status_code == 403
    assert (edited["valid"], edited["first_broken_entry"]) == (False, fifth)
    assert restored == intact
    assert (removed["entries"], removed["valid"], removed["first_broken_entry"]) == (39, False, tenth + 1)


async def test_a_receipt_shows_a_trail_rewritten_or_cut_after_it_was_given(
    make_settings: SettingsFactory, machine_token: TokenFactory
) -> None:
    settings = await make_settings()
    reader, auditor = _bearers(machine_token)

    async with running(build(settings, background=False)) as client:
        await _read(client, reader, 10)
        first = await _verified(client, auditor)
        receipt = {"receipt_entry": first["last_entry"], "receipt_hash": first["last_hash"]}
        await client.get("/cases/case-010", headers=reader)
        later = await _verified(client, auditor, **receipt)

        await _rewritten_from(settings, "case-004", "case-999")
        rewritten = await _verified(client, auditor, **receipt)
        half = await client.get("/audit/verify", params={"receipt_entry": 3}, headers=auditor)

    settings = await make_settings()
    async with running(build(settings, background=False)) as client:
        await _read(client, reader, 10)
        first = await _verified(client, auditor)
        receipt = {"receipt_entry": first["last_entry"], "receipt_hash": first["last_hash"]}
        await tamper(settings, "DELETE FROM sample_read WHERE id > :id", id=first["last_entry"] - 3)
        cut = await _verified(client, auditor, **receipt)

    assert (later["entries"], later["valid"], later["receipt_holds"]) == (11, True, True)
    assert (rewritten["first_broken_entry"], rewritten["receipt_holds"], rewritten["valid"]) == (None, False, False)
    assert half.status_code == 422
    assert half.json()["errors"][0]["path"] == "query.receipt_hash"
    assert (cut["entries"], cut["first_broken_entry"], cut["receipt_holds"], cut["valid"]) == (7, None, False, False)


async def _read(client: httpx.AsyncClient, reader: dict[str, str], cases: int) -> None:
    """Reads of cases case-000, case-001, ..., each audited."""
    for number in range(cases):
        assert (await client.get(f"/cases/case-{number:03d}", headers=reader)).status_code == 200


async def _verified(client: httpx.AsyncClient, auditor: dict[str, str], **receipt: Any) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get("/audit/verify", params=receipt, headers=auditor)).json()
    return answer


async def _rewritten_from(settings: ServiceSettings, case_id: str, instead: str) -> None:
    """The trail rewritten as someone with database access could: an entry's case changed, and every
    hash from it on computed afresh, so that every link holds again."""
    entries = [
        SampleRead(id=entry_id, case_id=case, subject=subject, at=at, previous_hash=previous, hash=digest)
        for entry_id, case, subject, at, previous, digest in await rows(
            settings, "SELECT id, case_id, subject, at, previous_hash, hash FROM sample_read ORDER BY id"
        )
    ]
    previous = GENESIS
    for entry in entries:
        if entry.case_id == case_id:
            entry.case_id = instead
        entry.previous_hash, entry.hash = previous, entry_hash(previous, content(entry))
        previous = entry.hash
    await tamper_each(
        settings,
        "UPDATE sample_read SET case_id = :case_id, previous_hash = :previous, hash = :hash WHERE id = :id",
        [{"case_id": e.case_id, "previous": e.previous_hash, "hash": e.hash, "id": e.id} for e in entries],
    )


def _audit_gauge(reader: InMemoryMetricReader, gauge: str = "spean.audit.intact") -> dict[str, int | float]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        str((point.attributes or {})["audit.trail"]): point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == gauge
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint)
    }


async def test_the_service_finds_its_own_trail_rewritten_and_says_so_every_round(
    make_settings: SettingsFactory, machine_token: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    settings = await make_settings(audit_check_seconds=0.2)
    reader, _ = _bearers(machine_token)
    metrics = InMemoryMetricReader()

    def logged(message: str) -> list[logging.LogRecord]:
        return [record for record in caplog.records if record.getMessage() == message]

    with caplog.at_level(logging.INFO, logger="spean_kit.audit"):
        async with running(build(settings, metric_readers=(metrics,))) as client:
            await _read(client, reader, 5)

            async def verified_all() -> bool:
                return any(record.__dict__["entries"] == 5 for record in logged("audit trail verified"))

            await eventually(verified_all, what="the five reads verified")
            before = _audit_gauge(metrics)
            await _rewritten_from(settings, "case-002", "case-999")
            tampered = "audit trail tampered with: entries edited, deleted or rewritten"

            async def reported_twice() -> bool:
                return len(logged(tampered)) >= 2

            await eventually(reported_twice, what="the rewrite reported round after round")
            after = _audit_gauge(metrics)

    assert before == {"sample_read": 1}
    assert after == {"sample_read": 0}
    errors = logged(tampered)
    assert {(record.levelno, record.__dict__["receipt_holds"]) for record in errors} == {(logging.ERROR, False)}
    assert all(record.__dict__["first_broken_entry"] is None for record in errors), "every link was recomputed"


async def test_a_trail_cut_while_its_service_was_down_shows_in_its_count_of_entries(
    make_settings: SettingsFactory, machine_token: TokenFactory
) -> None:
    """A restarted service has no receipt of its last round, and the links of a trail cut at its end all
    hold: only the count of entries, which the metrics store keeps beyond the restart, has dropped."""
    settings = await make_settings(audit_check_seconds=0.2)
    reader, _ = _bearers(machine_token)
    seen: list[dict[str, dict[str, int | float]]] = []

    async def checked(metrics: InMemoryMetricReader, entries: int) -> None:
        async def counted() -> bool:
            return _audit_gauge(metrics, "spean.audit.entries") == {"sample_read": entries}

        await eventually(counted, what=f"a round finding {entries} entries")
        seen.append({gauge: _audit_gauge(metrics, gauge) for gauge in ("spean.audit.intact", "spean.audit.entries")})

    metrics = InMemoryMetricReader()
    async with running(build(settings, metric_readers=(metrics,))) as client:
        await _read(client, reader, 5)
        await checked(metrics, 5)
    await tamper(settings, "DELETE FROM sample_read WHERE id > (SELECT min(id) + 2 FROM sample_read)")
    metrics = InMemoryMetricReader()
    async with running(build(settings, metric_readers=(metrics,))):
        await checked(metrics, 3)

    assert seen == [
        {"spean.audit.intact": {"sample_read": 1}, "spean.audit.entries": {"sample_read": 5}},
        {"spean.audit.intact": {"sample_read": 1}, "spean.audit.entries": {"sample_read": 3}},
    ]
