"""A case followed up (the monitoring stage) longer than the configured length without being closed is
told to MoSVY once. Referrals already in monitoring have no end set: the rule starts with the next stage
change."""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE referral ADD COLUMN IF NOT EXISTS follow_up_until timestamptz")
    op.execute("ALTER TABLE referral ADD COLUMN IF NOT EXISTS follow_up_breached boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE referral DROP COLUMN IF EXISTS follow_up_breached")
    op.execute("ALTER TABLE referral DROP COLUMN IF EXISTS follow_up_until")
