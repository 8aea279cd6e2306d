"""Screenings, per-case keys, shares, determinations, consents, the access audit, idempotent requests."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlmodel import SQLModel

from spean_identification.adapters import tables
from spean_kit.migrations import create_kit_tables

revision = "0001"
down_revision = None

TABLES = [
    tables.CaseKey,
    tables.Screening,
    tables.Share,
    tables.Determination,
    tables.Consent,
    tables.AccessAudit,
]

# The service's own table of Idempotency-Keys as it was first made; 0021 makes it the kit's.
IDEMPOTENT_REQUEST = sa.Table(
    "idempotent_request",
    sa.MetaData(),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("agency", sa.String(40), primary_key=True),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("body", postgresql.JSONB, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
)


def upgrade() -> None:
    create_kit_tables()
    SQLModel.metadata.create_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]
    IDEMPOTENT_REQUEST.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    IDEMPOTENT_REQUEST.drop(op.get_bind(), checkfirst=True)
    SQLModel.metadata.drop_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]
