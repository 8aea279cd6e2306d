"""Idempotency keys are remembered for a published retention, then forgotten: every keyed request
leaves its answer (a bulk upload's, thousands of rows), and a client repeats a request within minutes,
not months (draft-ietf-httpapi-idempotency-key-header asks servers to publish such an expiry)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_identification.adapters.tables import IdempotentRequest
from spean_kit.service import Runtime
from spean_kit.workers import Job


def forgetting(days: int) -> Job:
    """The periodic job that deletes the answers remembered longer than `days`."""

    async def forget_idempotency_keys(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        expired = col(IdempotentRequest.recorded_at) < now - timedelta(days=days)
        deleted = await session.exec(sa.delete(IdempotentRequest).where(expired))
        return int(deleted.rowcount)

    return forget_idempotency_keys
