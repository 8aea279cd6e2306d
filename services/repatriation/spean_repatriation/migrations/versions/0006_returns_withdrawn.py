"""A return can be withdrawn before the handover: the person's data it carried is then erased (the
sealed person and the return request's signed copy become NULL; the message's digest stays, so the
chain still verifies), and a withdrawn return no longer counts as under way."""

from alembic import op

revision = "0006"
down_revision = "0005"


def _one_return_under_way(ended: str) -> None:
    op.drop_index("repatriation_one_return_under_way", table_name="repatriation")
    op.create_index(
        "repatriation_one_return_under_way",
        "repatriation",
        ["case_id"],
        unique=True,
        postgresql_where=f"role = 'D' AND state NOT IN ({ended})",
    )


def upgrade() -> None:
    op.execute("ALTER TABLE repatriation ALTER COLUMN sealed_person DROP NOT NULL")
    op.execute("ALTER TABLE sop_message ALTER COLUMN sealed_jws DROP NOT NULL")
    _one_return_under_way("'refused', 'closed', 'withdrawn'")


def downgrade() -> None:
    _one_return_under_way("'refused', 'closed'")
