"""The national case index (projection), court cases, analysts' decisions and the audit chain."""

from alembic import op
from sqlmodel import SQLModel

from spean_kit.migrations import create_kit_tables
from spean_registry.adapters import tables

revision = "0001"
down_revision = None

TABLES = [*tables.PROJECTION, tables.CourtCase, tables.AnalystDecision, tables.AuditEntry]


def upgrade() -> None:
    create_kit_tables()
    SQLModel.metadata.create_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]


def downgrade() -> None:
    SQLModel.metadata.drop_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]
