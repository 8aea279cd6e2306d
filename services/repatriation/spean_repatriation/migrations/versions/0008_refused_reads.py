"""A read of a person's data refused because it was erased is kept in the trail, marked as not granted;
every read recorded before was answered."""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE person_read ADD COLUMN IF NOT EXISTS granted boolean NOT NULL DEFAULT true")
    op.execute("ALTER TABLE person_read ALTER COLUMN granted DROP DEFAULT")


def downgrade() -> None:
    op.execute("ALTER TABLE person_read DROP COLUMN IF EXISTS granted")
