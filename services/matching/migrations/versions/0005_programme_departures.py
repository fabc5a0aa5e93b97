"""Candidates follow programme outcomes that leave the municipality (moved, emigrated, died)."""

from shared.kit_migrations import add_columns, drop_columns

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    add_columns("candidates", {"programmes": "JSONB"})


def downgrade() -> None:
    drop_columns("candidates", ["programmes"])
