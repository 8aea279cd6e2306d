"""The flow chart counts each event in the minute it happened (`at`, its `ce_time`), no longer in the
minute the console saw it (`seen_at`): a console deployed afresh, or catching up after an outage,
reads days of events in one minute and drew them all there."""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has this shape.
    op.execute("CREATE INDEX IF NOT EXISTS ix_observed_event_at ON observed_event (at)")
    op.execute("DROP INDEX IF EXISTS ix_observed_event_seen_at")
    op.execute("ALTER TABLE observed_event DROP COLUMN IF EXISTS seen_at")


def downgrade() -> None:
    op.execute("ALTER TABLE observed_event ADD COLUMN IF NOT EXISTS seen_at timestamptz")
    op.execute("UPDATE observed_event SET seen_at = at WHERE seen_at IS NULL")
    op.execute("ALTER TABLE observed_event ALTER COLUMN seen_at SET NOT NULL")
    op.execute("CREATE INDEX IF NOT EXISTS ix_observed_event_seen_at ON observed_event (seen_at)")
    op.execute("DROP INDEX IF EXISTS ix_observed_event_at")
