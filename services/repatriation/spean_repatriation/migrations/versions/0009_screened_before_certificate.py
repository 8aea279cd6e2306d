"""A return to this country keeps when the transit centre screened the person if that came before the
return certificate was recorded: the certificate then moves the return on to `received`."""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE repatriation ADD COLUMN IF NOT EXISTS screened_on_arrival_at timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE repatriation DROP COLUMN IF EXISTS screened_on_arrival_at")
