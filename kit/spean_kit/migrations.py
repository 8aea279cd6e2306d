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


def create_idempotency_table() -> None:
    """The table of Idempotency-Keys (`spean_kit.retries`) in the service's schema. Identification kept
    one of its own before, of JSON answers each with a status: it becomes the kit's, keeping the keys
    of the last days, so that a retry sent across the upgrade is still answered once."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("idempotent_request"):
        tables.metadata.create_all(bind, tables=[tables.idempotent_request])
        return
    columns = {column["name"] for column in inspector.get_columns("idempotent_request")}
    if "media_type" not in columns:
        op.execute("ALTER TABLE idempotent_request ADD COLUMN subject varchar(255)")
        op.execute("ALTER TABLE idempotent_request ADD COLUMN media_type varchar(100)")
        op.execute("UPDATE idempotent_request SET media_type = 'application/json'")
        op.execute(
            "ALTER TABLE idempotent_request ALTER COLUMN status DROP NOT NULL, ALTER COLUMN body DROP NOT NULL, "
            "ALTER COLUMN body TYPE bytea USING convert_to(body::text, 'UTF8')"
        )


def idempotency_table_of_json_answers() -> None:
    """The downgrade of `create_idempotency_table` for identification: its own table again, holding the
    keys answered in JSON (the others are forgotten: a retry of them is a new request)."""
    op.execute(
        "DELETE FROM idempotent_request WHERE status IS NULL OR body IS NULL OR media_type IS DISTINCT FROM "
        "'application/json'"
    )
    op.execute(
        "ALTER TABLE idempotent_request ALTER COLUMN body TYPE jsonb USING convert_from(body, 'UTF8')::jsonb, "
        "ALTER COLUMN body SET NOT NULL, ALTER COLUMN status SET NOT NULL, DROP COLUMN media_type, DROP COLUMN subject"
    )


def drop_idempotency_table() -> None:
    """The downgrade of `create_idempotency_table` where the service had no keys before."""
    op.execute("DROP TABLE IF EXISTS idempotent_request")
