"""A scheduled handover whose day went by without its minutes is told once."""

from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE repatriation ADD COLUMN IF NOT EXISTS handover_breached boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE repatriation DROP COLUMN IF EXISTS handover_breached")
