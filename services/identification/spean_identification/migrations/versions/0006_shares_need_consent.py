"""A share records why the competent authority made it without the victim's consent. Shares made before
carry no reason: they stand only while the victim consents to sharing between agencies."""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE share ADD COLUMN IF NOT EXISTS override_reason varchar(2000)")


def downgrade() -> None:
    op.execute("ALTER TABLE share DROP COLUMN IF EXISTS override_reason")
