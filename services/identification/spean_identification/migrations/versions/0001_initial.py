"""Screenings, per-case keys, shares, determinations, consents, the access audit, idempotent requests."""

from alembic import op
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
    tables.IdempotentRequest,
]


def upgrade() -> None:
    create_kit_tables()
    SQLModel.metadata.create_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]


def downgrade() -> None:
    SQLModel.metadata.drop_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]
