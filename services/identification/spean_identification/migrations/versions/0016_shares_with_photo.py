"""A share says whether it opens the person's photo with the rest of their data. Shares made before did:
they keep it."""

from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    op.execute("ALTER TABLE share ADD COLUMN IF NOT EXISTS with_photo boolean NOT NULL DEFAULT true")
    op.execute("ALTER TABLE share ALTER COLUMN with_photo SET DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE share DROP COLUMN IF EXISTS with_photo")
