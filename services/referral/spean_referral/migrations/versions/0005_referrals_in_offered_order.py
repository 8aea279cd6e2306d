"""`GET /referrals` pages through referrals in the order they were offered: each page starts from an
index rather than sorting every referral ever made."""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_index("referral_in_offered_order", "referral", ["offered_at", "referral_id"])


def downgrade() -> None:
    op.drop_index("referral_in_offered_order", table_name="referral")
