"""`GET /cases` pages through referral cases in the order they were opened: each page starts from an
index rather than sorting every case ever opened."""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_index("referral_case_in_opened_order", "referral_case", ["opened_at", "case_id"])


def downgrade() -> None:
    op.drop_index("referral_case_in_opened_order", table_name="referral_case")
