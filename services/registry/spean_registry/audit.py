"""Appending to the tamper-evident audit chain, and verifying it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.auth import Principal
from spean_kit.database import hold_lock
from spean_registry.adapters.tables import AuditEntry
from spean_registry.domain.audit import GENESIS, entry_hash, first_broken

CHAIN_LOCK = 0x5EA4


def content(entry: AuditEntry) -> dict[str, str | None]:
    return {
        "at": entry.at.isoformat(),
        "subject": entry.subject,
        "agency": entry.agency,
        "action": entry.action,
        "target": entry.target,
        "purpose": entry.purpose,
    }


async def record(
    session: AsyncSession, principal: Principal, action: str, target: str, purpose: str | None = None
) -> None:
    # One writer at a time, so that each entry chains onto the true last one.
    await hold_lock(session, CHAIN_LOCK)
    last = (await session.exec(select(AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1))).first()
    entry = AuditEntry(
        at=datetime.now(UTC),
        subject=principal.subject,
        agency=principal.agency or "",
        action=action,
        target=target,
        purpose=purpose,
        previous_hash=last or GENESIS,
        hash="",
    )
    entry.hash = entry_hash(entry.previous_hash, content(entry))
    session.add(entry)


async def verify(session: AsyncSession) -> tuple[int, int | None]:
    """How many entries, and the id of the first broken one (None: the chain holds)."""
    entries = (await session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))).all()
    broken = first_broken((e.id or 0, content(e), e.previous_hash, e.hash) for e in entries)
    return len(entries), broken
