"""`/health/live`: the process answers. `/health/ready`: the database and Kafka are reachable."""

from __future__ import annotations

import asyncio
from typing import Literal

import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from spean_kit.kafka_access import KafkaAccess, access_of

router = APIRouter(prefix="/health", tags=["health"])


async def database_reachable(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True


async def kafka_reachable(bootstrap: str | KafkaAccess) -> bool:
    admin = AIOKafkaAdminClient(**access_of(bootstrap).options(), request_timeout_ms=2000)
    try:
        await asyncio.wait_for(admin.start(), timeout=3)
        await asyncio.wait_for(admin.describe_cluster(), timeout=3)
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await admin.close()
    return True


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "live"}


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[Literal["database", "kafka"], Literal["up", "down"]]


@router.get(
    "/ready",
    responses={
        200: {"description": "The database and Kafka are reachable", "model": Readiness},
        503: {"description": "The database or Kafka is unreachable", "model": Readiness},
    },
)
async def ready(request: Request) -> JSONResponse:
    database = await database_reachable(request.app.state.engine)
    kafka = await kafka_reachable(request.app.state.settings.kafka)
    readiness = Readiness(
        status="ready" if database and kafka else "not ready",
        checks={"database": "up" if database else "down", "kafka": "up" if kafka else "down"},
    )
    return JSONResponse(readiness.model_dump(), status_code=200 if database and kafka else 503)
