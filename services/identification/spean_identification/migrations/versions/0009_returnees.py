"""Returnees: the persons handed over to Cambodia under the SOP, so that the transit centre's screening of
one continues the case of the return instead of opening an unrelated one."""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE returnee ("
        " repatriation_id varchar(64) PRIMARY KEY,"
        " case_id varchar(64) NOT NULL,"
        " from_country varchar(3) NOT NULL,"
        " repatriated_at timestamptz NOT NULL,"
        " screening_id varchar(64))"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS returnee")
