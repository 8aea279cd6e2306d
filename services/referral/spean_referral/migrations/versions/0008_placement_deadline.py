"""A person not in a provider's care within the configured days of the case's opening is told to MoSVY
once. Cases opened before this migration take the rule too: one already waiting longer is told at the
first scan."""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE referral_case ADD COLUMN IF NOT EXISTS placement_breached boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE referral_case DROP COLUMN IF EXISTS placement_breached")
