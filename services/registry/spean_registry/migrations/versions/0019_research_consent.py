"""Each case's latest consent to research, which decides who is in the research records (a lawful erasure
counts as a withdrawal). Consents projected before take it from the timeline, which holds every consent
and erasure told."""

from alembic import op

revision = "0019"
down_revision = "0018"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS research_consent boolean")
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS research_consent_at timestamptz")
    op.execute(
        "UPDATE case_facts SET research_consent = latest.given, research_consent_at = latest.recorded_at"
        " FROM ("
        "  SELECT DISTINCT ON (case_id) case_id, given, recorded_at FROM ("
        "   SELECT case_id, (data->>'given')::boolean AS given, (data->>'recorded_at')::timestamptz AS recorded_at"
        "   FROM timeline_entry"
        "   WHERE type LIKE 'kh.spean.identification.consent-recorded.v%' AND data->>'purpose' = 'research'"
        "   UNION ALL"
        "   SELECT case_id, false, (data->>'erased_at')::timestamptz FROM timeline_entry"
        "   WHERE type LIKE 'kh.spean.identification.personal-data-erased.v%'"
        "  ) AS told ORDER BY case_id, recorded_at DESC, given"
        ") AS latest WHERE case_facts.case_id = latest.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS research_consent_at")
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS research_consent")
