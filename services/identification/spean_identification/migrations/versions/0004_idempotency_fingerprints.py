"""Each remembered answer keeps a fingerprint of the request it answered, so that a key reused for
another request is refused instead of answered with the first request's result."""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE idempotent_request ADD COLUMN IF NOT EXISTS fingerprint varchar(64)")


def downgrade() -> None:
    op.execute("ALTER TABLE idempotent_request DROP COLUMN IF EXISTS fingerprint")
