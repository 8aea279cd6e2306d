"""Tamper-evident audit trails.

A service's audit trail records who read or touched a person's data, when, why, and with what answer.
Each entry also stores a hash of its content and of the entry before it: editing, inserting or deleting
an entry breaks the links after it, and the verification names the first broken one. An auditor can
then trust a trail whose links hold, not only the database's access rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from alembic import op
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.auth import Principal, require_roles
from spean_kit.database import hold_lock
from spean_kit.service import runtime_of

GENESIS = "0" * 64
AUDIT_LOCK_NAMESPACE = 0x5EA4
LINKS = frozenset({"id", "previous_hash", "hash"})
VERIFIED_PER_QUERY = 5_000


class ChainedEntry(SQLModel):
    """The links of an audit trail's entry: the trail's table inherits them, and its other columns are
    the content each hash covers. A row written other than by `append` has empty links, which the
    verification names."""

    id: int | None = Field(default=None, primary_key=True)
    previous_hash: str = Field(default=GENESIS, max_length=64, sa_column_kwargs={"server_default": ""})
    hash: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


def entry_hash(previous: str, content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous}|{canonical}".encode()).hexdigest()


def content(entry: ChainedEntry) -> dict[str, Any]:
    """What an entry's hash covers: every column but its links, times in UTC (as the database gives them
    back, whatever zone they were written in)."""
    return {
        column.name: _canonical(getattr(entry, column.name))
        for column in entry.__table__.columns  # type: ignore[attr-defined]
        if column.name not in LINKS
    }


def _canonical(value: object) -> object:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


class Links:
    """Follows a trail's entries in order, and keeps the first whose links do not hold."""

    def __init__(self) -> None:
        self.entries = 0
        self.last = GENESIS
        self.first_broken: int | None = None

    def follow(self, entry_id: int, content: Mapping[str, Any], previous: str, digest: str) -> None:
        self.entries += 1
        if self.first_broken is None and (previous != self.last or entry_hash(previous, content) != digest):
            self.first_broken = entry_id
        self.last = digest


async def append(session: AsyncSession, entry: ChainedEntry) -> None:
    """Adds `entry` at the end of its trail, in the caller's transaction. The trail's lock is held until
    that transaction ends, so that entries written at once by several replicas chain one after another."""
    trail = type(entry)
    await hold_lock(session, AUDIT_LOCK_NAMESPACE, trail.__tablename__)  # type: ignore[arg-type]
    last = (await session.exec(select(trail.hash).order_by(col(trail.id).desc()).limit(1))).first()
    entry.previous_hash = last or GENESIS
    entry.hash = entry_hash(entry.previous_hash, content(entry))
    session.add(entry)


async def verify(session: AsyncSession, trail: type[ChainedEntry]) -> Links:
    """Every entry of `trail` followed in order, a page of entries at a time."""
    links = Links()
    after = 0
    while entries := (
        await session.exec(select(trail).where(col(trail.id) > after).order_by(col(trail.id)).limit(VERIFIED_PER_QUERY))
    ).all():
        for entry in entries:
            links.follow(entry.id or 0, content(entry), entry.previous_hash, entry.hash)
        after = entries[-1].id or 0
        session.expunge_all()
    return links


def chain_existing_entries(trail: type[ChainedEntry]) -> None:
    """Upgrade an audit trail written before it was chained: its entries are linked in the order they
    were written, from the trail's beginning, so that the verification covers them too and later
    entries chain onto them."""
    table: sa.Table = trail.__table__  # type: ignore[attr-defined]
    op.execute(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS previous_hash varchar(64) NOT NULL DEFAULT ''")
    op.execute(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS hash varchar(64) NOT NULL DEFAULT ''")
    bind = op.get_bind()
    link = (
        table.update()
        .where(table.c.id == sa.bindparam("entry"))
        .values(previous_hash=sa.bindparam("previous"), hash=sa.bindparam("digest"))
    )
    previous, after = GENESIS, 0
    while (
        entries := bind.execute(
            sa.select(table).where(table.c.id > after).order_by(table.c.id).limit(VERIFIED_PER_QUERY)
        )
        .mappings()
        .all()
    ):
        links = []
        for entry in entries:
            digest = entry_hash(previous, content(trail(**entry)))
            links.append({"entry": entry["id"], "previous": previous, "digest": digest})
            previous = digest
        bind.execute(link, links)
        after = entries[-1]["id"]


def unchain(trail: type[ChainedEntry]) -> None:
    """The downgrade of `chain_existing_entries`."""
    table: sa.Table = trail.__table__  # type: ignore[attr-defined]
    op.execute(f"ALTER TABLE {table.name} DROP COLUMN IF EXISTS previous_hash, DROP COLUMN IF EXISTS hash")


class AuditVerification(BaseModel):
    entries: int
    valid: bool
    first_broken_entry: int | None


def verification_router(trail: type[ChainedEntry], tag: str) -> APIRouter:
    """`GET /audit/verify` for auditors, listed under the service's `tag`: whether every link of the
    service's audit trail holds."""
    router = APIRouter(tags=[tag])

    @router.get("/audit/verify", response_model=AuditVerification)
    async def verify_audit(
        request: Request, auditor: Annotated[Principal, Depends(require_roles("auditor"))]
    ) -> AuditVerification:
        """Whether the audit trail is as it was written: no entry edited, inserted or deleted. If not,
        the id of the first entry whose link is broken."""
        async with runtime_of(request).sessions() as session:
            links = await verify(session, trail)
        return AuditVerification(
            entries=links.entries, valid=links.first_broken is None, first_broken_entry=links.first_broken
        )

    return router
