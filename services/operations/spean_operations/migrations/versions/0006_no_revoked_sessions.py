"""The sessions signed out are no longer kept apart: signing out deletes the session the console holds
(console_session, 0005), so a cookie of it, even a copy, names a session that no longer exists."""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.drop_table("revoked_session")


def downgrade() -> None:
    op.execute("CREATE TABLE revoked_session (session_id varchar(64) PRIMARY KEY, expires_at timestamptz NOT NULL)")
    op.create_index("ix_revoked_session_expires_at", "revoked_session", ["expires_at"])
