"""A share may be made for a referral: the provider that accepted it reads the person's data until the
referral ends, and the share names the referral so that it ends with it."""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE share ADD COLUMN IF NOT EXISTS referral_id varchar(64)")


def downgrade() -> None:
    op.execute("ALTER TABLE share DROP COLUMN IF EXISTS referral_id")
