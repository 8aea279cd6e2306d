"""A returnee not screened on arrival in time is a breach of the screening stage, told once."""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.execute("ALTER TABLE returnee ADD COLUMN IF NOT EXISTS deadline_breached boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE returnee DROP COLUMN IF EXISTS deadline_breached")
