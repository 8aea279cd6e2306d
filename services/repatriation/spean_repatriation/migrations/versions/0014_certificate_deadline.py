"""A handover whose return certificate was not issued on its day is told once: the row keeps when the minutes
say the person crossed."""

from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE repatriation ADD COLUMN IF NOT EXISTS handed_over_at timestamptz")
    op.execute("ALTER TABLE repatriation ADD COLUMN IF NOT EXISTS certificate_breached boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE repatriation DROP COLUMN IF EXISTS certificate_breached")
    op.execute("ALTER TABLE repatriation DROP COLUMN IF EXISTS handed_over_at")
