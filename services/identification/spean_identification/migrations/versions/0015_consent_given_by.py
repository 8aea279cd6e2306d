"""Consent records say who gave it: the person, or for a child a parent or guardian. Earlier records were
the person's."""

from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    op.execute("ALTER TABLE consent ADD COLUMN IF NOT EXISTS given_by varchar(10) NOT NULL DEFAULT 'person'")


def downgrade() -> None:
    op.execute("ALTER TABLE consent DROP COLUMN IF EXISTS given_by")
