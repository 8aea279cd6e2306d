"""The repatriated count takes each person by the year they were first handed over, as a year's returns
are reported, instead of the year they were identified in (a returnee from Viet Nam, never identified
here, counted in no year). Facts projected before take it from the timeline."""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS repatriated_year integer")
    op.execute(
        "UPDATE case_facts SET repatriated_year = first.year FROM ("
        "  SELECT case_id, min(extract(year FROM"
        "    ((data->>'repatriated_at')::timestamptz AT TIME ZONE 'UTC') + interval '7 hours'))::int AS year"
        "  FROM timeline_entry WHERE type LIKE 'kh.spean.case.repatriated.v%' GROUP BY case_id"
        ") AS first WHERE case_facts.case_id = first.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS repatriated_year")
