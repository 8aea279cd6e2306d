"""A case has at most one open referral to each provider: the service refuses a second offer, and this
index refuses it too when two offers arrive at the same moment."""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_index(
        "referral_one_open_per_provider",
        "referral",
        ["case_id", "provider_id"],
        unique=True,
        postgresql_where="state IN ('offered', 'in-care')",
    )


def downgrade() -> None:
    op.drop_index("referral_one_open_per_provider", table_name="referral")
