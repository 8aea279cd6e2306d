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
        " settlement boolean NOT NULL,"
        " absconded boolean NOT NULL,"
        " restitution_ordered boolean NOT NULL,"
        " restitution_paid boolean NOT NULL,"
        " PRIMARY KEY (court_case_id, year))"
    )
    op.execute(
        "INSERT INTO court_year (court_case_id, year, decided_on, verdict, category, court_province, settlement,"
        " absconded, restitution_ordered, restitution_paid)"
        " SELECT DISTINCT ON (data->>'court_case_id', extract(year FROM (data->>'decided_on')::date))"
        "  data->>'court_case_id', extract(year FROM (data->>'decided_on')::date)::integer,"
        "  (data->>'decided_on')::date, data->>'verdict',"
        "  CASE WHEN data->'charges' @> '[{\"category\": \"trafficking\"}]' THEN 'trafficking'"
        "   WHEN data->'charges' @> '[{\"category\": \"rape\"}]' THEN 'rape' ELSE 'other' END,"
        "  data->>'court_province', coalesce((data->>'settlement')::boolean, false),"
        "  coalesce((data->>'defendant_absconded')::boolean, false),"
        # numeric: an older release let amounts past any integer column into the events.
        "  coalesce((data->>'restitution_ordered_khr')::numeric > 0, false),"
        "  coalesce((data->>'restitution_ordered_khr')::numeric > 0"
        "   AND (data->>'restitution_paid_khr')::numeric >= (data->>'restitution_ordered_khr')::numeric, false)"
        " FROM timeline_entry WHERE type LIKE 'kh.spean.prosecution.court-outcome-recorded.v%'"
        " ORDER BY data->>'court_case_id', extract(year FROM (data->>'decided_on')::date),"
        "  (data->>'decided_on')::date DESC, at DESC"
        " ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS court_year")
