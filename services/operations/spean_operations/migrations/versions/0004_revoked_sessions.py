"""Console sessions signed out: their cookies are refused until they would have expired. (Replaced by
the sessions signed in, 0005: the table goes in 0006.)"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "revoked_session",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_revoked_session_expires_at", "revoked_session", ["expires_at"])


def downgrade() -> None:
    op.drop_table("revoked_session")
