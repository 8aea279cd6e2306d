"""Console sessions signed in: each one's refresh token, so that Keycloak is asked again, every minute,
whether the operator may still use the console."""

from alembic import op
from sqlmodel import SQLModel

from spean_operations.adapters import tables

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    SQLModel.metadata.create_all(op.get_bind(), tables=[tables.ConsoleSession.__table__])  # type: ignore[attr-defined]


def downgrade() -> None:
    SQLModel.metadata.drop_all(op.get_bind(), tables=[tables.ConsoleSession.__table__])  # type: ignore[attr-defined]
