"""Service gaps counted by the need nobody could meet. The gaps projected before take it from the
timeline, which holds every gap found."""

from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS gap_needs jsonb NOT NULL DEFAULT '[]'")
    op.execute(
        "UPDATE case_facts SET gap_needs = found.needs FROM ("
        "  SELECT case_id, jsonb_agg(data->>'need' ORDER BY at, event_id) AS needs"
        "  FROM timeline_entry WHERE type LIKE 'kh.spean.referral.service-gap-recorded.v%' GROUP BY case_id"
        ") AS found WHERE case_facts.case_id = found.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS gap_needs")
