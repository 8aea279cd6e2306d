"""Each remembered answer keeps when it was recorded, so that keys are forgotten after the retention
the API publishes (SPEAN_IDEMPOTENCY_KEY_DAYS). Answers remembered before count from now."""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE idempotent_request ADD COLUMN IF NOT EXISTS recorded_at timestamptz NOT NULL DEFAULT now()")
    op.execute("CREATE INDEX IF NOT EXISTS idempotent_request_recorded_at ON idempotent_request (recorded_at)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idempotent_request_recorded_at")
    op.execute("ALTER TABLE idempotent_request DROP COLUMN IF EXISTS recorded_at")
