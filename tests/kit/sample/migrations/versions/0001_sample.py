"""The kit's tables, a table of cases the API writes and a table of effects the consumer applies."""

import sqlalchemy as sa
from alembic import op

from spean_kit.migrations import create_kit_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table("sample_case", sa.Column("case_id", sa.String(64), primary_key=True))
    # No unique constraint on purpose: only the kit's inbox stands between a replay and a double effect.
    op.create_table(
        "sample_effect",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column(
            "applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("clock_timestamp()")
        ),
    )


def downgrade() -> None:
    op.drop_table("sample_effect")
    op.drop_table("sample_case")
