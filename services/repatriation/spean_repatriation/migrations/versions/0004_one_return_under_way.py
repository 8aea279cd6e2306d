"""A case has at most one return under way from this country: the service refuses a second one, and
this index refuses it too when two requests for the case arrive at the same moment."""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_index(
        "repatriation_one_return_under_way",
        "repatriation",
        ["case_id"],
        unique=True,
        postgresql_where="role = 'D' AND state NOT IN ('refused', 'closed')",
    )


def downgrade() -> None:
    op.drop_index("repatriation_one_return_under_way", table_name="repatriation")
