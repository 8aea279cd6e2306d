"""`GET /screenings` pages through screenings earliest determination deadline first: each page starts
from an index rather than sorting every screening ever recorded."""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_index("screening_in_deadline_order", "screening", ["determination_due", "screening_id"])


def downgrade() -> None:
    op.drop_index("screening_in_deadline_order", table_name="screening")
