"""Care's closures counted by how care ended (`referral.closed` 1.1). Closures projected before take it
from the timeline, which holds every closure told."""

from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS care_closures integer NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS care_outcomes jsonb NOT NULL DEFAULT '[]'")
    op.execute(
        "UPDATE case_facts SET care_outcomes = ended.outcomes, care_closures = jsonb_array_length(ended.outcomes)"
        " FROM ("
        "  SELECT case_id, jsonb_agg(data->>'outcome' ORDER BY at, event_id) AS outcomes"
        "  FROM timeline_entry WHERE type LIKE 'kh.spean.referral.closed.v%' AND data->>'outcome' IS NOT NULL"
        "  GROUP BY case_id"
        ") AS ended WHERE case_facts.case_id = ended.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS care_outcomes")
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS care_closures")
