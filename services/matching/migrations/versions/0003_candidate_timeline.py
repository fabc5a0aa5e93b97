"""Candidates follow consent, Norwegian tests and leaving (moved out, emigrated, died)."""

from shared.kit_migrations import add_columns, drop_columns

revision = "0003"
down_revision = "0002"

_COLUMNS = {
    "consent": "JSONB",
    "norwegian_tests": "JSONB",
    "left_on": "DATE",
    "left_because": "TEXT",
    "moved_to": "VARCHAR(4)",
}


def upgrade() -> None:
    add_columns("candidates", _COLUMNS)


def downgrade() -> None:
    drop_columns("candidates", _COLUMNS)
