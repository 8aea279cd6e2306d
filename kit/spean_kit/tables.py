"""The kit's own tables, living in each service's schema (created by the service's first migration)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

# Every row is an event not yet published: the relay deletes rows once Kafka has them. Only the
# primary key is indexed and the headers are kept as JSON text, which the relay parses itself: a
# unique index on `event_id` (a fresh id, unique by construction: `new_event_id`) and JSONB parsing
# were more than half of PostgreSQL's CPU per staged event (bench/pipeline.py).
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("key", sa.LargeBinary, nullable=False),
    sa.Column("value", sa.LargeBinary, nullable=False),
    sa.Column("headers", sa.Text, nullable=False),
    sa.Column("trace_context", postgresql.JSONB, nullable=False, server_default="{}"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# One row per Idempotency-Key an agency sent with a request that recorded something (spean_kit.retries).
# Written in the transaction of what the request recorded, without its answer (`status` null): the answer
# is kept just after, when the handler has given it. A null `body` with a `status` is an answer shown
# once and not kept (a letter's code).
idempotent_request = sa.Table(
    "idempotent_request",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("agency", sa.String(40), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=True),
    # Who sent it: a colleague of the same agency sending the key is not given its answer, which their
    # roles may not allow them to read. Null for keys identification kept before.
    sa.Column("subject", sa.String(255), nullable=True),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("media_type", sa.String(100), nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("idempotent_request_recorded_at", "recorded_at"),
)
