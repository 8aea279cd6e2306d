"""Court figures for a year: each court case's last decision in each calendar year, projected from the
court outcomes. Those recorded before are taken from the timeline, which holds every decision."""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has it.
    op.execute(
        "CREATE TABLE IF NOT EXISTS court_year ("
        " court_case_id varchar(64) NOT NULL,"
        " year integer NOT NULL,"
        " decided_on date NOT NULL,"
        " verdict varchar(20) NOT NULL,"
        " category varchar(20) NOT NULL,"
        " court_province varchar(10) NOT NULL,"
        " PRIMARY KEY (court_case_id, year))"
    )
    op.execute(
        "INSERT INTO court_year (court_case_id, year, decided_on, verdict, category, court_province)"
        " SELECT DISTINCT ON (data->>'court_case_id', extract(year FROM (data->>'decided_on')::date))"
        "  data->>'court_case_id', extract(year FROM (data->>'decided_on')::date)::integer,"
        "  (data->>'decided_on')::date, data->>'verdict',"
        "  CASE WHEN data->'charges' @> '[{\"category\": \"trafficking\"}]' THEN 'trafficking'"
        "   WHEN data->'charges' @> '[{\"category\": \"rape\"}]' THEN 'rape' ELSE 'other' END,"
        "  data->>'court_province'"
        " FROM timeline_entry WHERE type LIKE 'kh.spean.prosecution.court-outcome-recorded.v%'"
        " ORDER BY data->>'court_case_id', extract(year FROM (data->>'decided_on')::date),"
        "  (data->>'decided_on')::date DESC, at DESC"
        " ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS court_year")
