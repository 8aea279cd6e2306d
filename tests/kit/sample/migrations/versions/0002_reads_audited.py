"""An audit trail of reads."""

from alembic import op
from sqlmodel import SQLModel

from tests.kit.sample.app import SampleRead

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    SQLModel.metadata.create_all(op.get_bind(), tables=[SampleRead.__table__])  # type: ignore[attr-defined]


def downgrade() -> None:
    op.drop_table("sample_read")
