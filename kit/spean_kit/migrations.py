"""What a service's Alembic `env.py` calls, and the kit's own tables for a service's first migration."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from spean_kit import tables

# A schema's migration lock, held to the end of the transaction that creates the schema and of the one
# that migrates it.
MIGRATION_LOCK_NAMESPACE = 0x5C4E
MIGRATION_LOCK = f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_NAMESPACE}, hashtext(:schema))"


def run_env(target_metadata: sa.MetaData | None = None) -> None:
    """The body of every service's env.py: async migrations inside the service's schema."""
    config = context.config
    schema: str = config.attributes["schema"]

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
        )
        with context.begin_transaction():
            # Replicas start together: the first migrates, the others wait and then find the schema at head.
            connection.execute(sa.text(MIGRATION_LOCK), {"schema": schema})
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(
            config.get_main_option("sqlalchemy.url") or "",
            connect_args={"server_settings": {"search_path": schema}},
        )
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())


def create_kit_tables() -> None:
    """The outbox and the inbox, created by each service's first migration in its own schema."""
    bind = op.get_bind()
    tables.metadata.create_all(bind, tables=[tables.outbox, tables.inbox])


def delete_published_outbox_rows() -> None:
    """Upgrade from the outbox that kept published rows, marked with `sent_at`: marking rewrote each
    row and its index entries, the relay's costliest statement, and the table grew for ever.

    `create_kit_tables` builds from the current tables, so a new database has nothing to change."""
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("outbox")}
    if "sent_at" in columns:
        op.execute("DELETE FROM outbox WHERE sent_at IS NOT NULL")
        op.drop_index("outbox_unsent", "outbox")
        op.drop_column("outbox", "sent_at")


def keep_published_outbox_rows() -> None:
    """The downgrade of `delete_published_outbox_rows` (rows deleted stay deleted: they were published)."""
    op.add_column("outbox", sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("outbox_unsent", "outbox", ["id"], postgresql_where=sa.text("sent_at IS NULL"))


def outbox_headers_as_text() -> None:
    """Upgrade to the outbox whose only index is its primary key and whose headers are JSON text: the
    unique index on `event_id` and the parsing of JSONB headers were more than half of PostgreSQL's
    CPU per staged event. Rows waiting to be published keep their headers (as the same JSON)."""
    if _outbox_headers_type() == "jsonb":
        op.drop_constraint("outbox_event_id_key", "outbox", type_="unique")
        op.alter_column("outbox", "headers", type_=sa.Text, postgresql_using="headers::text")


def outbox_headers_as_jsonb() -> None:
    """The downgrade of `outbox_headers_as_text`."""
    if _outbox_headers_type() == "text":
        op.alter_column("outbox", "headers", type_=postgresql.JSONB, postgresql_using="headers::jsonb")
        op.create_unique_constraint("outbox_event_id_key", "outbox", ["event_id"])


def _outbox_headers_type() -> str:
    columns = sa.inspect(op.get_bind()).get_columns("outbox")
    return next(str(column["type"]) for column in columns if column["name"] == "headers").lower()
