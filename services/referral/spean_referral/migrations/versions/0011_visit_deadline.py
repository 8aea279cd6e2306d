"""When a followed-up case's next monitoring visit is due, and whether MoSVY was told it was missed. Cases
already in monitoring count from the migration: none is told late for visits nobody could file before."""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE referral ADD COLUMN IF NOT EXISTS visit_due timestamptz")
    op.execute("ALTER TABLE referral ADD COLUMN IF NOT EXISTS visit_breached boolean NOT NULL DEFAULT false")
    op.execute(
        "UPDATE referral SET visit_due = now() + interval '90 days'"
        " WHERE state = 'in-care' AND stage = 'monitoring' AND visit_due IS NULL"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE referral DROP COLUMN IF EXISTS visit_breached")
    op.execute("ALTER TABLE referral DROP COLUMN IF EXISTS visit_due")
