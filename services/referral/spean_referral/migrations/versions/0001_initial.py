"""The directory, referral cases, referrals, consent state and consent overrides."""

from alembic import op
from sqlmodel import SQLModel

from spean_kit.migrations import create_kit_tables
from spean_referral.adapters import tables

revision = "0001"
down_revision = None

TABLES = [tables.Provider, tables.ReferralCase, tables.Referral, tables.ConsentState, tables.ConsentOverride]


def upgrade() -> None:
    create_kit_tables()
    SQLModel.metadata.create_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]


def downgrade() -> None:
    SQLModel.metadata.drop_all(op.get_bind(), tables=[model.__table__ for model in TABLES])  # type: ignore[attr-defined]
