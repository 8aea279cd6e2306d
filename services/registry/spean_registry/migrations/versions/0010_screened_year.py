"""The screened count takes each case by the year of its first screening, as a year's screenings are
reported, instead of the year the person was later identified in. Facts projected before take it from
the timeline."""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS screened_year integer")
    op.execute(
        "UPDATE case_facts SET screened_year = first.year FROM ("
        "  SELECT case_id, min(extract(year FROM"
        "    ((data->>'screened_at')::timestamptz AT TIME ZONE 'UTC') + interval '7 hours'))::int AS year"
        "  FROM timeline_entry WHERE type LIKE 'kh.spean.identification.screening-recorded.v%' GROUP BY case_id"
        ") AS first WHERE case_facts.case_id = first.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS screened_year")
