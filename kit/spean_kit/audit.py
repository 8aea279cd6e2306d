"""Tamper-evident audit trails.

A service's audit trail records who read or touched a person's data, when, why, and with what answer.
Each entry also stores a hash of its content and of the entry before it: editing, inserting or deleting
an entry breaks the links after it, and the verification names the first broken one.

Someone with write access to the database could still rewrite every hash from an edited entry on, or
cut the trail's last entries. Each verification therefore answers with the trail's last entry and its
hash, a receipt the auditor keeps outside Spean; a later verification given that receipt says whether
the trail up to it is still the one that was verified.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from alembic import op
from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from spean_kit.auth import Principal, require_roles
from spean_kit.database import hold_lock
from spean_kit.errors import invalid_field
from spean_kit.service import Runtime, runtime_of
from spean_kit.workers import Worker, periodic

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Receipt:
    """An entry's id and hash as an earlier verification gave them, kept by the auditor outside Spean."""

    entry: int
    hash: str


class Links:
    """Follows a trail's entries in order: keeps the first whose links do not hold, the last one, and
    whether the entry of a receipt, if one is given, still has the receipt's hash."""

    def __init__(self, receipt: Receipt | None = None) -> None:
        self.entries = 0
        self.last = GENESIS
        self.last_entry: int | None = None
        self.first_broken: int | None = None
        self.receipt = receipt
        self.receipt_matched = False

    def follow(self, entry_id: int, content: Mapping[str, Any], previous: str, digest: str) -> None:
        self.entries += 1
        if self.first_broken is None and (previous != self.last or entry_hash(previous, content) != digest):
            self.first_broken = entry_id
        if self.receipt is not None and entry_id == self.receipt.entry:
            self.receipt_matched = digest == self.receipt.hash
        self.last, self.last_entry = digest, entry_id

    @property
    def receipt_holds(self) -> bool | None:
        """None without a receipt; False if its entry is gone or its hash has changed."""
        return None if self.receipt is None else self.receipt_matched

    @property
    def valid(self) -> bool:
        return self.first_broken is None and self.receipt_holds is not False


async def append(session: AsyncSession, entry: ChainedEntry) -> None:
    """Adds `entry` at the end of its trail, in the caller's transaction. The trail's lock is held until
    that transaction ends, so that entries written at once by several replicas chain one after another."""
    trail = type(entry)
    await hold_lock(session, AUDIT_LOCK_NAMESPACE, trail.__tablename__)  # type: ignore[arg-type]
    last = (await session.exec(select(trail.hash).order_by(col(trail.id).desc()).limit(1))).first()
    entry.previous_hash = last or GENESIS
    entry.hash = entry_hash(entry.previous_hash, content(entry))
    session.add(entry)


def amend(entry: ChainedEntry) -> None:
    """Completes an entry appended earlier in the same transaction (what an action turned out to be
    once done): still the trail's last, under the lock `append` took, its hash is computed again."""
    entry.hash = entry_hash(entry.previous_hash, content(entry))


async def verify(session: AsyncSession, trail: type[ChainedEntry], receipt: Receipt | None = None) -> Links:
    """Every entry of `trail` followed in order, a page of entries at a time."""
    links = Links(receipt)
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


def watch(trail: type[ChainedEntry], every_seconds: float) -> Worker:
    """A worker that verifies `trail` every `every_seconds`, each round against the receipt of the round
    before. Each round's receipt is logged: where the platform's logs are kept, they hold it outside the
    database, for auditors.
    A trail found tampered with is logged as an error and reported by the gauge `spean.audit.intact`; a
    broken receipt is kept, so that every following round reports it too. The gauge `spean.audit.entries`
    reports how many entries each round found, for the metrics store to remember beyond a restart."""
    name: str = trail.__tablename__  # type: ignore[assignment]
    receipt: Receipt | None = None

    async def watch_audit_trail(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        nonlocal receipt
        links = await verify(session, trail, receipt)
        fields = {"trail": name, "entries": links.entries, "last_entry": links.last_entry, "last_hash": links.last}
        if links.valid:
            log.info("audit trail verified", extra=fields)
        else:
            broken = {"first_broken_entry": links.first_broken, "receipt_holds": links.receipt_holds}
            log.error("audit trail tampered with: entries edited, deleted or rewritten", extra=fields | broken)
        runtime.telemetry.audit_trails_intact[name] = links.valid
        runtime.telemetry.audit_trails_entries[name] = links.entries
        if links.receipt_holds is not False and links.last_entry is not None:
            receipt = Receipt(links.last_entry, links.last)
        return links.entries

    return periodic(watch_audit_trail, every_seconds)


class EntryLinks(BaseModel):
    """What an audit trail's listing shows of each entry's links, so that an auditor finds the entry a
    verification names, and may keep any entry's receipt."""

    id: int = PydanticField(description="The entry's number: a verification names a broken entry by it.")
    hash: str = PydanticField(description="The entry's hash: with its number, a receipt for a later verification.")


E = TypeVar("E", bound=ChainedEntry)


@dataclass(frozen=True)
class Narrowing:
    """What an auditor narrows a trail's listing to: from an entry on, one reader, one agency, a period."""

    from_entry: int | None
    subject: str | None
    agency: str | None
    since: datetime | None
    until: datetime | None


def narrowing(
    from_entry: Annotated[
        int | None,
        Query(ge=1, description="Only this entry and those after it: where a verification named a broken link."),
    ] = None,
    subject: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Only the entries of this reader (`subject`).")
    ] = None,
    agency: Annotated[
        str | None,
        Query(pattern=r"^[A-Z][A-Z0-9-]{1,39}$", description="Only the entries of readers acting for this agency."),
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Only the entries written at this moment or later (with its offset).")
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        Query(description="Only the entries written before this moment, after `since` (rule `after_since`)."),
    ] = None,
) -> Narrowing:
    if since is not None and until is not None and until <= since:
        raise invalid_field("query.until", "after_since", "the period ends after it begins")
    return Narrowing(from_entry, subject, agency, since, until)


Narrowed = Annotated[Narrowing, Depends(narrowing)]


def narrowed(query: SelectOfScalar[E], trail: type[E], asked: Narrowing, *, at: str = "at") -> SelectOfScalar[E]:
    """A listing of `trail` narrowed as asked; `at` names the column that says when an entry was written."""
    table: sa.Table = trail.__table__  # type: ignore[attr-defined]
    if asked.from_entry is not None:
        query = query.where(table.c.id >= asked.from_entry)
    if asked.subject is not None:
        query = query.where(table.c.subject == asked.subject)
    if asked.agency is not None:
        query = query.where(table.c.agency == asked.agency)
    if asked.since is not None:
        query = query.where(table.c[at] >= asked.since)
    if asked.until is not None:
        query = query.where(table.c[at] < asked.until)
    return query


class AuditVerification(BaseModel):
    entries: int
    valid: bool = PydanticField(description="Every link holds, and the receipt given, if any.")
    first_broken_entry: int | None
    last_entry: int | None = PydanticField(description="With `last_hash`, the receipt to keep for a later check.")
    last_hash: str | None
    receipt_holds: bool | None = PydanticField(
        description="Whether the receipt's entry still has its hash; null without a receipt."
    )


HASH = r"^[0-9a-f]{64}$"


def verification_router(trail: type[ChainedEntry], tag: str) -> APIRouter:
    """`GET /audit/verify` for auditors, listed under the service's `tag`: whether every link of the
    service's audit trail holds."""
    router = APIRouter(tags=[tag])

    @router.get("/audit/verify", response_model=AuditVerification)
    async def verify_audit(
        request: Request,
        auditor: Annotated[Principal, Depends(require_roles("auditor"))],
        receipt_entry: Annotated[int | None, Query(ge=1, description="The `last_entry` of an earlier answer.")] = None,
        receipt_hash: Annotated[str | None, Query(pattern=HASH, description="The `last_hash` of that answer.")] = None,
    ) -> AuditVerification:
        """Whether the audit trail is as it was written: no entry edited, inserted or deleted (if not,
        the id of the first entry whose link is broken), and, given the receipt of an earlier answer,
        that the trail up to it was not rewritten or cut since. Keep each answer's receipt."""
        if (receipt_entry is None) != (receipt_hash is None):
            missing = "receipt_hash" if receipt_hash is None else "receipt_entry"
            raise invalid_field(f"query.{missing}", "required", "a receipt is its entry and its hash, both")
        receipt = None if receipt_entry is None or receipt_hash is None else Receipt(receipt_entry, receipt_hash)
        async with runtime_of(request).sessions() as session:
            links = await verify(session, trail, receipt)
        return AuditVerification(
            entries=links.entries,
            valid=links.valid,
            first_broken_entry=links.first_broken,
            last_entry=links.last_entry,
            last_hash=None if links.last_entry is None else links.last,
            receipt_holds=links.receipt_holds,
        )

    return router
