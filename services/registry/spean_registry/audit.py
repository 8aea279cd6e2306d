"""The registry's audit trail: who read a case's timeline or decided on national records, and why."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit import audit
from spean_kit.auth import Principal
from spean_registry.adapters.tables import AuditEntry


async def record(
    session: AsyncSession, principal: Principal, action: str, target: str, purpose: str | None = None
) -> None:
    entry = AuditEntry(
        at=datetime.now(UTC),
        subject=principal.subject,
        agency=principal.agency or "",
        action=action,
        target=target,
        purpose=purpose,
    )
    await audit.append(session, entry)
