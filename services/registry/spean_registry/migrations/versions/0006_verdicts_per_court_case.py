"""A case's facts keep each court case's latest verdict, so that a conviction overturned on appeal no
longer counts as one. Facts projected before it know their verdicts after `make registry-rebuild`."""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS verdicts jsonb NOT NULL DEFAULT '{}'")


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS verdicts")
