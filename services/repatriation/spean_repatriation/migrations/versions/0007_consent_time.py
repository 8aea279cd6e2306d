"""A return keeps when the consent its request carried was given, so that a withdrawal recorded in
identification ends it only if it came later. Returns asked before have no time: any withdrawal ends them."""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE repatriation ADD COLUMN IF NOT EXISTS consent_recorded_at timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE repatriation DROP COLUMN IF EXISTS consent_recorded_at")
