"""Console sessions signed out: their cookies are refused until they would have expired."""

from alembic import op
from sqlmodel import SQLModel

from spean_operations.adapters import tables

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    SQLModel.metadata.create_all(op.get_bind(), tables=[tables.RevokedSession.__table__])  # type: ignore[attr-defined]


def downgrade() -> None:
    SQLModel.metadata.drop_all(op.get_bind(), tables=[tables.RevokedSession.__table__])  # type: ignore[attr-defined]
