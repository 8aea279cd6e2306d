"""The co-signature's deadline: a determination awaiting the police's co-signature past it is told once."""

from alembic import op

revision = "0020"
down_revision = "0019"


def upgrade() -> None:
    op.execute("ALTER TABLE determination ADD COLUMN IF NOT EXISTS deadline_breached boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE determination DROP COLUMN IF EXISTS deadline_breached")
