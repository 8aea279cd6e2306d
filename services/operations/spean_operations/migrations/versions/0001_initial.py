"""What the console has seen on the case topics, and the operators' replays."""

from alembic import op
from sqlmodel import SQLModel

from spean_kit.migrations import create_kit_tables
from spean_operations.adapters import tables

revision = "0001"
down_revision = None

TABLES = [tables.ObservedEvent, tables.Replay]


def upgrade() -> None:
    create_kit_tables()
    SQLModel.metadata.create_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]


def downgrade() -> None:
    SQLModel.metadata.drop_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]
