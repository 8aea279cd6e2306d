"""A return from this country keeps when identification changed what it knows of the person (a correction
of their data, an age assessed otherwise) after the return request was signed, until an identity correction
tells the counterpart."""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE repatriation ADD COLUMN IF NOT EXISTS identity_changed_at timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE repatriation DROP COLUMN IF EXISTS identity_changed_at")
