"""A determination's grounds are sealed with the case's key, like the rest of what may name the person. The
grounds written before stay in plain text until the service seals them at its next start."""

from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade() -> None:
    op.execute("ALTER TABLE determination ADD COLUMN IF NOT EXISTS sealed_reasons bytea")


def downgrade() -> None:
    op.execute("ALTER TABLE determination DROP COLUMN IF EXISTS sealed_reasons")
