"""Repatriation keeps identification's latest word on each case's age, so that a return request cannot send
as an adult a person identification knows as a child."""

from alembic import op
from sqlmodel import SQLModel

from spean_repatriation.adapters import tables

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    SQLModel.metadata.create_all(op.get_bind(), tables=[tables.CaseAge.__table__])  # type: ignore[attr-defined]


def downgrade() -> None:
    SQLModel.metadata.drop_all(op.get_bind(), tables=[tables.CaseAge.__table__])  # type: ignore[attr-defined]
