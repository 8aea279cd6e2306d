"""A case's year is the year it was screened or identified in Cambodia (UTC+07:00), as NCCT's yearly
figures count it, not in UTC: a person met in the first seven hours of 1 January counted in the year
before. Facts projected before take it again from the timeline's last screening or identification."""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute(
        "UPDATE case_facts SET year = latest.year FROM ("
        "  SELECT DISTINCT ON (case_id) case_id, extract(year FROM"
        "    (coalesce(data->>'identified_at', data->>'screened_at')::timestamptz AT TIME ZONE 'UTC')"
        "    + interval '7 hours')::int AS year"
        "  FROM timeline_entry"
        "  WHERE type LIKE 'kh.spean.identification.screening-recorded.v%'"
        "    OR type LIKE 'kh.spean.case.identified.v%'"
        "    OR type LIKE 'kh.spean.identification.vulnerable-person-identified.v%'"
        "  ORDER BY case_id, at DESC, event_id DESC"
        ") AS latest WHERE case_facts.case_id = latest.case_id AND case_facts.year IS DISTINCT FROM latest.year"
    )


def downgrade() -> None:
    # The years in UTC are not worth going back to: a downgraded release counts new cases its own way.
    pass
