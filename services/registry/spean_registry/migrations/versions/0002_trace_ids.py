"""Each timeline entry keeps the trace id of the request that caused it, for operators to follow."""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE timeline_entry ADD COLUMN IF NOT EXISTS trace_id varchar(32)")


def downgrade() -> None:
    op.execute("ALTER TABLE timeline_entry DROP COLUMN IF EXISTS trace_id")
