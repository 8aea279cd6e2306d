"""Each screening records which match-key secret its published keys were made under, so that replacing
the secret can publish them again under the new one."""

from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.execute("ALTER TABLE screening ADD COLUMN IF NOT EXISTS match_key_generation varchar(16)")


def downgrade() -> None:
    op.execute("ALTER TABLE screening DROP COLUMN IF EXISTS match_key_generation")
