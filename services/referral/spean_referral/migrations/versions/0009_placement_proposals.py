"""Providers propose to take a registered person in; MoSVY sanctions or declines each proposal. One
proposal of a case by a provider waits at a time: the service refuses a second, and the index does too
when two arrive at the same moment."""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the table.
    op.execute(
        "CREATE TABLE IF NOT EXISTS placement_proposal ("
        " proposal_id varchar(64) PRIMARY KEY,"
        " case_id varchar(64) NOT NULL,"
        " provider_id varchar(64) NOT NULL,"
        " services jsonb NOT NULL,"
        " state varchar(20) NOT NULL,"
        " proposed_by varchar(64) NOT NULL,"
        " proposed_at timestamptz NOT NULL,"
        " decided_by varchar(64),"
        " decided_at timestamptz,"
        " referral_id varchar(64),"
        " decline_reason varchar(30))"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_placement_proposal_case_id ON placement_proposal (case_id)")
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS placement_proposal_one_waiting ON placement_proposal"
        " (case_id, provider_id) WHERE state = 'proposed'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS placement_proposal")
