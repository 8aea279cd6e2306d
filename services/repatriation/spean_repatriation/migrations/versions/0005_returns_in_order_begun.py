"""`GET /repatriations` pages through returns in the order they began: each page starts from an index
rather than sorting every return ever made."""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_index("repatriation_in_order_begun", "repatriation", ["created_at", "reference"])


def downgrade() -> None:
    op.drop_index("repatriation_in_order_begun", table_name="repatriation")
