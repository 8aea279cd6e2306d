"""Deadline breaches counted by the deadline missed. The breaches projected before take it from the
timeline, which holds every breach event; the words are those of domain/deadlines.py when this was
written."""

from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS breached_deadlines jsonb NOT NULL DEFAULT '[]'")
    op.execute(
        "UPDATE case_facts SET breached_deadlines = missed.deadlines FROM ("
        "  SELECT case_id, jsonb_agg(CASE"
        "    WHEN type LIKE 'kh.spean.identification.deadline-breached.v%' THEN data->>'stage'"
        "    WHEN type LIKE 'kh.spean.repatriation.deadline-breached.v%' THEN data->>'deadline'"
        "    WHEN type LIKE 'kh.spean.referral.deadline-breached.v%' THEN 'provider-response'"
        "    WHEN type LIKE 'kh.spean.referral.follow-up-deadline-breached.v%' THEN 'follow-up'"
        "    ELSE 'placement' END ORDER BY at, event_id) AS deadlines"
        "  FROM timeline_entry WHERE type LIKE 'kh.spean.%deadline-breached.v%' GROUP BY case_id"
        ") AS missed WHERE case_facts.case_id = missed.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS breached_deadlines")
