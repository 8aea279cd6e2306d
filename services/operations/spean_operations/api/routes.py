"""The console's figures as JSON (the page polls them), dead letters and their replay, and the traces of
a case. Nothing here carries personal data: events do not, and neither do Kafka's or the metrics' labels."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import col, select

from spean_kit import audit
from spean_kit.errors import Problem, invalid_field
from spean_kit.replay import DeadLetter, NoSuchDeadLetter, dead_letter_topics, dead_letters, replay
from spean_kit.service import Runtime, runtime_of
from spean_kit.topics import consumer_lags
from spean_operations.adapters.tables import ObservedEvent, Replay
from spean_operations.api.access import CurrentOperator, settings_of
from spean_operations.domain.breaches import late
from spean_operations.domain.flow import minute_of, per_minute
from spean_operations.domain.metrics import audit_trails, certificate_validity, outbox_backlogs
from spean_operations.settings import OperationsSettings
from spean_operations.watch import CASE_TOPICS

router = APIRouter(prefix="/api", tags=["operations"])
log = logging.getLogger(__name__)

# The console shows the newest letters; the totals say how many more there are.
LATEST_LETTERS = 50
CaseId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def trace_url(settings: OperationsSettings, trace_id: str | None) -> str | None:
    return f"{settings.trace_ui_url.rstrip('/')}/traces/{trace_id}" if trace_id else None


async def _exposition(settings: OperationsSettings) -> str | None:
    """The services' metrics as the collector exposes them; None when they cannot be had."""
    if settings.metrics_url is None:
        return None
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            answer = await client.get(settings.metrics_url)
    except httpx.HTTPError:
        return None
    return answer.text if answer.status_code == 200 else None


@router.get("/overview")
async def overview(request: Request, operator: CurrentOperator) -> dict[str, Any]:
    """Everything the console's panels show, in one answer."""
    runtime = runtime_of(request)
    settings = settings_of(request)
    now = datetime.now(UTC)
    since = minute_of(now) - timedelta(minutes=settings.flow_minutes - 1)
    minute = sa.func.date_trunc("minute", col(ObservedEvent.at))
    async with runtime.sessions() as session:
        counted = (
            await session.execute(
                sa.select(col(ObservedEvent.topic), minute, sa.func.count())
                .where(col(ObservedEvent.at) >= since)
                .group_by(col(ObservedEvent.topic), minute)
            )
        ).all()
        breaches = (
            await session.exec(
                select(ObservedEvent)
                .where(col(ObservedEvent.breach).is_not(None))
                .order_by(col(ObservedEvent.at).desc())
                .limit(50)
            )
        ).all()
        breach_count = await session.scalar(
            sa.select(sa.func.count()).select_from(ObservedEvent).where(col(ObservedEvent.breach).is_not(None))
        )
    namespace = settings.topic_namespace
    topics = [topic.name for topic in CASE_TOPICS]
    shelf = await dead_letters(settings.kafka, namespace, LATEST_LETTERS)
    lags = await consumer_lags(settings.kafka, namespace)
    metrics = await _exposition(settings)
    return {
        "operator": {"subject": operator.subject, "agency": operator.agency},
        "generated_at": now.isoformat(),
        "flow": {
            "since": since.isoformat(),
            "minutes": settings.flow_minutes,
            "topics": per_minute(
                ((str(t), m, int(n)) for t, m, n in counted), topics, now=now, minutes=settings.flow_minutes
            ),
        },
        "consumer_lag": [
            {
                "group": lag.group.removeprefix(namespace),
                "topic": lag.topic.removeprefix(namespace),
                "behind": lag.behind,
            }
            for lag in lags
        ],
        "outbox_backlog": None if metrics is None else outbox_backlogs(metrics),
        "certificates": None if metrics is None else certificate_validity(metrics),
        "audit_trails": None if metrics is None else audit_trails(metrics),
        "dead_letters": {
            "totals": shelf.totals,
            "latest": await _with_replays(runtime, shelf.latest),
        },
        "deadline_breaches": {
            "total": breach_count or 0,
            "latest": [
                {
                    "case_id": row.case_id,
                    "type": row.type.removeprefix("kh.spean.").removesuffix(".v1"),
                    "late": late(row.type, row.breach or {}),
                    "due_at": (row.breach or {}).get("due_at"),
                    "at": row.at.isoformat(),
                    "trace_url": trace_url(settings, row.trace_id),
                }
                for row in breaches
            ],
        },
    }


@router.get("/dead-letters")
async def list_dead_letters(
    request: Request,
    _: CurrentOperator,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many of the newest letters.")] = LATEST_LETTERS,
) -> dict[str, Any]:
    """How many letters each dead-letter topic holds, and the newest, each with its replays."""
    settings = settings_of(request)
    shelf = await dead_letters(settings.kafka, settings.topic_namespace, limit)
    return {"totals": shelf.totals, "latest": await _with_replays(runtime_of(request), shelf.latest)}


async def _with_replays(runtime: Runtime, letters: list[DeadLetter]) -> list[dict[str, Any]]:
    """Each letter with when it was last sent back and by whom, so that an operator sees which are
    dealt with: the dead-letter topic keeps a replayed letter as it keeps every other."""
    places = [(letter.dlq, letter.partition, letter.offset) for letter in letters]
    async with runtime.sessions() as session:
        replays = (
            await session.exec(
                select(Replay)
                .where(sa.tuple_(col(Replay.dlq), col(Replay.partition), col(Replay.offset)).in_(places))
                .order_by(col(Replay.id))
            )
        ).all()
    last = {(r.dlq, r.partition, r.offset): r for r in replays}
    shown = []
    for letter, place in zip(letters, places, strict=True):
        replay_ = last.get(place)
        done = {"at": replay_.at.isoformat(), "agency": replay_.agency} if replay_ else None
        shown.append(letter.as_dict() | {"replayed": done})
    return shown


class ReplayRequest(BaseModel):
    dlq: str = Field(min_length=5, max_length=200, pattern=r"\.dlq$", description="The dead-letter topic.")
    partition: int = Field(default=0, ge=0)
    offset: int = Field(ge=0)


@router.post("/dead-letters/replay")
async def replay_dead_letter(request: Request, body: ReplayRequest, operator: CurrentOperator) -> dict[str, Any]:
    """Send a dead letter back to its topic once its cause is fixed. Who replayed which, when, is
    recorded in a transaction that commits once the event is sent: no replay goes unaudited."""
    settings = settings_of(request)
    if body.dlq not in await dead_letter_topics(settings.kafka, settings.topic_namespace):
        raise invalid_field("body.dlq", "dead-letter-topic", "not one of the platform's")
    async with runtime_of(request).sessions() as session:
        entry = Replay(
            at=datetime.now(UTC),
            subject=operator.subject,
            agency=operator.agency,
            dlq=body.dlq,
            partition=body.partition,
            offset=body.offset,
            event_id="",
            topic="",
        )
        await audit.append(session, entry)
        await session.flush()
        try:
            letter = await replay(settings.kafka, body.dlq, body.offset, body.partition)
        except NoSuchDeadLetter as missing:
            raise Problem(404, "Not found", str(missing)) from None
        entry.event_id, entry.topic = letter.event_id, letter.topic
        audit.amend(entry)
        session.add(entry)
        await session.commit()
    log.info("dead letter replayed", extra={"dlq": body.dlq, "offset": body.offset, "event_id": letter.event_id})
    return letter.as_dict() | {"replayed_to": letter.topic}


@router.get("/replays")
async def replays(request: Request, _: CurrentOperator) -> list[dict[str, Any]]:
    async with runtime_of(request).sessions() as session:
        rows = (await session.exec(select(Replay).order_by(col(Replay.id).desc()).limit(100))).all()
    return [row.model_dump(mode="json") for row in rows]


@router.get("/cases/{case_id}/traces")
async def case_traces(request: Request, case_id: CaseId, _: CurrentOperator) -> dict[str, Any]:
    """Each event of the case the console has seen, with a link to the trace of the request behind it."""
    settings = settings_of(request)
    async with runtime_of(request).sessions() as session:
        rows = (
            await session.exec(
                select(ObservedEvent).where(ObservedEvent.case_id == case_id).order_by(col(ObservedEvent.at))
            )
        ).all()
    if not rows:
        raise Problem(404, "Not found", f"no event of case {case_id} has passed on the platform's topics")
    return {
        "case_id": case_id,
        "events": [
            {
                "type": row.type.removeprefix("kh.spean.").removesuffix(".v1"),
                "at": row.at.isoformat(),
                "trace_id": row.trace_id,
                "trace_url": trace_url(settings, row.trace_id),
            }
            for row in rows
        ],
    }
